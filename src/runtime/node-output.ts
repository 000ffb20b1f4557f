/**
 * One node's stdout and stderr, per node-contract "Output": lab events (JSON objects with a
 * lab-defined "type" on stdout) become node.event and are never dropped; every other line is
 * node.log until the node's log budget for the run is spent, then it is only counted. The
 * budget is in trace bytes, so what a node's logs add to the trace and to the harness's
 * memory is bounded however short its lines are. Events past their limits fail the run,
 * except an event an earlier incarnation printed, printed once again after a restart.
 */
import type { Readable } from "node:stream";
import { LineSplitter, type SplitLine } from "../host/line-splitter.ts";
import type { NodeId, NodeLogEvent, NodeOutputEvent, TraceEvent } from "../trace/events.ts";

export interface OutputLimits {
  /** Trace bytes of node.log events kept per node and run (default 16 MiB). */
  logBudgetBytes: number;
  /** Events per node and run; one more fails the run (default 100,000). */
  maxEvents: number;
  /** Trace bytes of node.event events per node and run; more fails the run (default 16 MiB). */
  eventBudgetBytes: number;
  /** One line's cap; the rest is cut and the line marked (default 64 KiB). */
  maxLineBytes: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  logBudgetBytes: 16 * 1024 * 1024,
  maxEvents: 100_000,
  eventBudgetBytes: 16 * 1024 * 1024,
  maxLineBytes: 64 * 1024,
};

/** Lines kept for failure reasons ("exited at once; last lines: ..."), each shortened. */
const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 500;

export interface NodeOutputHooks {
  emit: (event: TraceEvent) => void;
  now: () => number;
  onFatal: (reason: string) => void;
}

export class NodeOutput {
  readonly #node: NodeId;
  readonly #limits: OutputLimits;
  readonly #eventTypes: ReadonlySet<string>;
  readonly #hooks: NodeOutputHooks;
  #logBytes = 0;
  #budgetSpent = false;
  #droppedLines = 0;
  #droppedBytes = 0;
  #events = 0;
  #eventBytes = 0;
  #eventsOverLimit = false;
  /** Events (as printed, parsed and serialized again) of earlier incarnations and this one. */
  #earlierEvents = new Set<string>();
  #currentEvents = new Set<string>();
  #tail: string[] = [];

  constructor(
    node: NodeId,
    limits: OutputLimits,
    eventTypes: ReadonlySet<string>,
    hooks: NodeOutputHooks,
  ) {
    this.#node = node;
    this.#limits = limits;
    this.#eventTypes = eventTypes;
    this.#hooks = hooks;
  }

  /** Reads a stream to its end; resolves when it has ended or failed. */
  attach(stream: Readable, name: "stdout" | "stderr"): Promise<void> {
    const splitter = new LineSplitter(this.#limits.maxLineBytes, (line) =>
      this.#onLine(name, line),
    );
    return new Promise((resolve) => {
      stream.on("data", (chunk: Buffer) => splitter.push(chunk));
      stream.once("close", () => {
        splitter.end();
        resolve();
      });
      stream.once("error", () => undefined);
    });
  }

  /**
   * A new incarnation starts: its failure reason shows only its own lines, and the events
   * the earlier ones printed may be printed again once without counting against the limits.
   */
  beginIncarnation(): void {
    this.#tail = [];
    for (const key of this.#currentEvents) this.#earlierEvents.add(key);
    this.#currentEvents.clear();
  }

  /** The last lines of the current incarnation, for failure reasons. */
  tail(): string[] {
    return [...this.#tail];
  }

  /** Emits the one node.log.dropped summary, if anything was dropped; call at the end. */
  flushDropped(): void {
    if (this.#droppedLines === 0) return;
    this.#hooks.emit({
      type: "node.log.dropped",
      t: this.#hooks.now(),
      node: this.#node,
      lines: this.#droppedLines,
      bytes: this.#droppedBytes,
    });
    this.#droppedLines = 0;
    this.#droppedBytes = 0;
  }

  #onLine(stream: "stdout" | "stderr", line: SplitLine): void {
    const t = this.#hooks.now();
    const event = stream === "stdout" && !line.truncated ? this.#labEvent(line.text) : undefined;
    if (event) {
      this.#onEvent(t, event);
      return;
    }
    this.#tail.push(line.text.slice(0, TAIL_LINE_CHARS));
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (!this.#budgetSpent) {
      const event: NodeLogEvent = {
        type: "node.log",
        t,
        node: this.#node,
        stream,
        line: line.text,
      };
      // An empty line costs about 70 bytes, so a flood of them spends the budget like any other.
      const cost = traceLineBytes(event);
      if (this.#logBytes + cost <= this.#limits.logBudgetBytes) {
        this.#logBytes += cost;
        this.#hooks.emit(event);
        return;
      }
      // Spent for the rest of the run: the log stops at one point instead of keeping holes.
      this.#budgetSpent = true;
    }
    this.#droppedLines += 1;
    this.#droppedBytes += line.bytes;
  }

  #onEvent(t: number, event: Record<string, unknown>): void {
    // The run fails at the first event past a limit; later ones are not kept, so the
    // checkers' copy of the trace stays bounded however big or many the events are.
    if (this.#eventsOverLimit) return;
    const nodeEvent: NodeOutputEvent = { type: "node.event", t, node: this.#node, event };
    // A node reprints what it recovered after each restart (lab 2's decide lines): that
    // repeat is free, so a correct node is never failed by how often the nemesis restarts it.
    // What is kept to know repeats is at most what the budgets let count.
    const key = JSON.stringify(event);
    const repeat = this.#earlierEvents.has(key) && !this.#currentEvents.has(key);
    if (repeat) {
      this.#currentEvents.add(key);
      this.#hooks.emit(nodeEvent);
      return;
    }
    this.#events += 1;
    this.#eventBytes += traceLineBytes(nodeEvent);
    const over =
      this.#events > this.#limits.maxEvents
        ? `${this.#limits.maxEvents} events`
        : this.#eventBytes > this.#limits.eventBudgetBytes
          ? `${this.#limits.eventBudgetBytes} bytes of events in the trace`
          : undefined;
    if (over === undefined) {
      this.#currentEvents.add(key);
      this.#hooks.emit(nodeEvent);
      return;
    }
    this.#eventsOverLimit = true;
    this.#hooks.onFatal(
      `node ${this.#node} printed more than ${over} (the limit per node and run)`,
    );
  }

  #labEvent(text: string): Record<string, unknown> | undefined {
    if (!text.startsWith("{")) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return typeof record.type === "string" && this.#eventTypes.has(record.type)
      ? record
      : undefined;
  }
}

/** What an event adds to trace.jsonl (and, about, to the checkers' copy in memory). */
function traceLineBytes(event: TraceEvent): number {
  return Buffer.byteLength(JSON.stringify(event)) + 1;
}
