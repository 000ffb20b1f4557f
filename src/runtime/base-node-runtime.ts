/**
 * What every NodeRuntime does the same way, whatever runs the nodes: per-node state across
 * incarnations, the lifecycle's trace events (node.start / ready / failed / kill / exit /
 * pause / resume / memory), readiness by polling the node's ports, bounded output draining and
 * the run's fatal reason. A subclass says how one node is launched, killed, paused and measured.
 */
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { settlesWithin } from "../host/settles-within.ts";
import type { NodeId } from "../trace/events.ts";
import { DEFAULT_OUTPUT_LIMITS, NodeOutput, type OutputLimits } from "./node-output.ts";
import { acceptsConnections } from "./tcp-probe.ts";
import type { NodeRuntime, NodeSpec, NodeStartResult, RuntimeHooks } from "./types.ts";

export interface BaseRuntimeOptions extends RuntimeHooks {
  /** stdout JSON "type"s the lab defines as events (lab 2's decisions); none by default. */
  eventTypes?: Iterable<string>;
  /** Startup limit before scaling (default 10,000 ms, per node-contract). */
  startupTimeoutMs?: number;
  /** Multiplies every time limit here (slow machines, CI). Default 1. */
  timeScale?: number;
  limits?: Partial<OutputLimits>;
  /** When set, node.memory is sampled this often (ms) while a node runs. */
  memorySampleIntervalMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
  /** Why it ended, when the runtime knows better than the code (e.g. its memory limit). */
  cause?: string;
}

/** One run of a node, from launch to exit. */
export interface Incarnation {
  n: number;
  /** The pid the trace shows (for a container, its init process as the host sees it). */
  pid: number;
  ready: boolean;
  paused: boolean;
  expectedExit: boolean;
  exit?: ExitStatus;
  exited: Promise<void>;
  outputDone: Promise<void>;
  /** The kill in progress or done: a second kill joins it. */
  killing?: Promise<void>;
  memoryTimer?: NodeJS.Timeout;
}

export interface NodeState<Handle> {
  spec: NodeSpec;
  /** What the subclass keeps per node across incarnations (e.g. its container). */
  handle: Handle;
  output: NodeOutput;
  incarnations: number;
  current?: Incarnation;
}

/**
 * A launched incarnation, or why it could not be launched. Its output streams are read only
 * after node.start is traced, so that nothing it prints can be credited to the incarnation
 * before (they buffer meanwhile).
 */
export type Launch =
  | {
      ok: true;
      pid: number;
      exited: Promise<ExitStatus>;
      stdout: Readable | null;
      stderr: Readable | null;
    }
  | { ok: false; reason: string };

const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
/** After a node is gone, its last output lines may still be in the pipes. */
const OUTPUT_DRAIN_MS = 2_000;
const PROBE_TIMEOUT_MS = 500;

export abstract class BaseNodeRuntime<Handle> implements NodeRuntime {
  abstract readonly kind: NodeRuntime["kind"];
  protected readonly hooks: RuntimeHooks;
  protected readonly timeScale: number;
  protected readonly startupMs: number;
  readonly #eventTypes: ReadonlySet<string>;
  readonly #limits: OutputLimits;
  readonly #memoryIntervalMs: number | undefined;
  readonly #readyPollMs: number;
  readonly #nodes = new Map<NodeId, NodeState<Handle>>();
  /** Restarts in flight: a second restart of the same node joins the first. */
  readonly #restarting = new Map<NodeId, Promise<NodeStartResult>>();
  #fatalReason: string | undefined;

  constructor(options: BaseRuntimeOptions, readyPollMs: number) {
    this.hooks = options;
    this.#eventTypes = new Set(options.eventTypes ?? []);
    this.#limits = { ...DEFAULT_OUTPUT_LIMITS, ...options.limits };
    this.timeScale = options.timeScale ?? 1;
    this.startupMs = (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS) * this.timeScale;
    this.#memoryIntervalMs = options.memorySampleIntervalMs;
    this.#readyPollMs = readyPollMs;
  }

  /** Per-node set-up done once, before the first launch (a container, say). */
  protected abstract prepare(spec: NodeSpec): Promise<Handle>;
  /** Starts one incarnation; `inc.expectedExit` tells, once it ends, whether we killed it. */
  protected abstract launch(state: NodeState<Handle>, inc: Incarnation): Promise<Launch>;
  /** Where readiness is probed: every port the node must listen on. */
  protected abstract readyProbe(state: NodeState<Handle>): { host: string; ports: number[] };
  /** Kills the incarnation and resolves once it is gone; throws if it will not go. */
  protected abstract terminate(state: NodeState<Handle>, inc: Incarnation): Promise<void>;
  protected abstract freeze(state: NodeState<Handle>, inc: Incarnation): Promise<void>;
  protected abstract thaw(state: NodeState<Handle>, inc: Incarnation): Promise<void>;
  protected abstract measureRssKiB(state: NodeState<Handle>, inc: Incarnation): Promise<number>;

  /** Extra words for a node that never became ready (e.g. it hit a limit). */
  protected async notReadyHint(_state: NodeState<Handle>): Promise<string> {
    return "";
  }

  /** Frees what prepare() made, once every node is stopped. */
  protected async release(_states: NodeState<Handle>[]): Promise<void> {}

  get fatalReason(): string | undefined {
    return this.#fatalReason;
  }

  async start(spec: NodeSpec): Promise<NodeStartResult> {
    if (this.#nodes.has(spec.id)) {
      throw new Error(`node ${spec.id} was already started; use restart() to start it again`);
    }
    const state: NodeState<Handle> = {
      spec,
      handle: await this.prepare(spec),
      output: new NodeOutput(spec.id, this.#limits, this.#eventTypes, {
        emit: this.hooks.emit,
        now: this.hooks.now,
        onFatal: (reason) => this.#fail(reason),
      }),
      incarnations: 0,
    };
    this.#nodes.set(spec.id, state);
    return this.#launch(state);
  }

  async kill(id: NodeId): Promise<void> {
    const state = this.#state(id);
    const inc = state.current;
    if (!inc || (inc.exit && !inc.killing)) return;
    inc.killing ??= (async () => {
      inc.expectedExit = true;
      this.hooks.emit({ type: "node.kill", t: this.hooks.now(), node: id, incarnation: inc.n });
      await this.terminate(state, inc);
    })();
    await inc.killing;
  }

  restart(id: NodeId): Promise<NodeStartResult> {
    const inFlight = this.#restarting.get(id);
    if (inFlight) return inFlight;
    const state = this.#state(id);
    const restarting = (async () => {
      await this.kill(id);
      // The last lines of the dead incarnation belong to it, not to the next one.
      await this.#drainOutput(state);
      return this.#launch(state);
    })().finally(() => this.#restarting.delete(id));
    this.#restarting.set(id, restarting);
    return restarting;
  }

  async pause(id: NodeId): Promise<void> {
    const inc = this.#running(id, "pause");
    if (inc.paused) return;
    await this.freeze(this.#state(id), inc);
    inc.paused = true;
    this.hooks.emit({ type: "node.pause", t: this.hooks.now(), node: id, incarnation: inc.n });
  }

  async resume(id: NodeId): Promise<void> {
    const state = this.#state(id);
    const inc = state.current;
    if (!inc || inc.exit || !inc.paused) return;
    await this.thaw(state, inc);
    inc.paused = false;
    this.hooks.emit({ type: "node.resume", t: this.hooks.now(), node: id, incarnation: inc.n });
  }

  /** Ready, not exited and not being killed (a node on its way down is not up). */
  isUp(id: NodeId): boolean {
    const inc = this.#nodes.get(id)?.current;
    return inc?.ready === true && inc.exit === undefined && !inc.expectedExit;
  }

  isPaused(id: NodeId): boolean {
    const inc = this.#nodes.get(id)?.current;
    return inc?.paused === true && inc.exit === undefined;
  }

  async sampleMemory(id: NodeId): Promise<number> {
    const inc = this.#running(id, "sample the memory of");
    const rssKiB = await this.measureRssKiB(this.#state(id), inc);
    this.hooks.emit({ type: "node.memory", t: this.hooks.now(), node: id, rssKiB });
    return rssKiB;
  }

  async stopAll(): Promise<void> {
    const states = [...this.#nodes.values()];
    const results = await Promise.allSettled(states.map((state) => this.kill(state.spec.id)));
    await Promise.all(states.map((state) => this.#drainOutput(state)));
    for (const state of states) state.output.flushDropped();
    await this.release(states);
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(`stopping the nodes failed: ${failures.join("; ")}`);
  }

  async #launch(state: NodeState<Handle>): Promise<NodeStartResult> {
    const { spec } = state;
    state.incarnations += 1;
    const inc: Incarnation = {
      n: state.incarnations,
      pid: 0,
      ready: false,
      paused: false,
      expectedExit: false,
      exited: Promise.resolve(),
      outputDone: Promise.resolve(),
    };
    const failed = (reason: string): NodeStartResult => {
      this.hooks.emit({
        type: "node.failed",
        t: this.hooks.now(),
        node: spec.id,
        incarnation: inc.n,
        reason,
      });
      return { ok: false, reason };
    };
    state.output.beginIncarnation();
    const launched = await this.launch(state, inc);
    if (!launched.ok) return failed(launched.reason);
    inc.pid = launched.pid;
    inc.exited = launched.exited.then((status) => this.#recordExit(state, inc, status));
    state.current = inc;
    this.hooks.emit({
      type: "node.start",
      t: this.hooks.now(),
      node: spec.id,
      incarnation: inc.n,
      pid: inc.pid,
      port: this.readyProbe(state).ports[0] ?? spec.port,
      dataDir: spec.dataDir,
    });
    inc.outputDone = Promise.all([
      launched.stdout && state.output.attach(launched.stdout, "stdout"),
      launched.stderr && state.output.attach(launched.stderr, "stderr"),
    ]).then(() => undefined);
    const reason = await this.#awaitReady(state, inc);
    if (reason !== undefined) return failed(reason);
    inc.ready = true;
    this.hooks.emit({ type: "node.ready", t: this.hooks.now(), node: spec.id, incarnation: inc.n });
    if (this.#memoryIntervalMs !== undefined) this.#sampleMemoryPeriodically(inc, spec.id);
    return { ok: true };
  }

  /** Polls the node's ports; returns why it is not ready, or undefined once it is. */
  async #awaitReady(state: NodeState<Handle>, inc: Incarnation): Promise<string | undefined> {
    const deadline = Date.now() + this.startupMs;
    for (;;) {
      if (inc.exit) {
        await this.#drainOutput(state);
        return `exited before it was ready (${describeExit(inc.exit)})${lastLines(state.output.tail())}`;
      }
      const { host, ports } = this.readyProbe(state);
      const open = await Promise.all(
        ports.map((port) => acceptsConnections(host, port, PROBE_TIMEOUT_MS)),
      );
      if (open.every(Boolean)) return undefined;
      if (Date.now() >= deadline) {
        const closed = ports.filter((_, i) => !open[i]).join(" and ");
        const hint = await this.notReadyHint(state);
        await this.kill(state.spec.id);
        await this.#drainOutput(state);
        return `never listened on port ${closed} within the startup limit of ${this.startupMs / 1000} s${hint}${lastLines(state.output.tail())}`;
      }
      await Promise.race([sleep(this.#readyPollMs), inc.exited]);
    }
  }

  #recordExit(state: NodeState<Handle>, inc: Incarnation, status: ExitStatus): void {
    inc.exit = status;
    clearInterval(inc.memoryTimer);
    const exit = {
      node: state.spec.id,
      incarnation: inc.n,
      code: status.code,
      signal: status.signal,
      expected: inc.expectedExit,
    };
    this.hooks.emit({ type: "node.exit", t: this.hooks.now(), ...exit });
    if (status.cause !== undefined) {
      this.hooks.emit({
        type: "node.log",
        t: this.hooks.now(),
        node: state.spec.id,
        stream: "stderr",
        line: `[dslab] ${status.cause}`,
      });
    }
    if (!inc.expectedExit) this.hooks.onUnexpectedExit?.(exit);
  }

  /** Waits (bounded) for the last output of the current incarnation to be read. */
  async #drainOutput(state: NodeState<Handle>): Promise<void> {
    const inc = state.current;
    if (inc) await settlesWithin(inc.outputDone, OUTPUT_DRAIN_MS * this.timeScale);
  }

  #sampleMemoryPeriodically(inc: Incarnation, id: NodeId): void {
    inc.memoryTimer = setInterval(() => {
      if (inc.exit) return;
      // A sample racing the node's exit is simply skipped.
      this.sampleMemory(id).catch(() => undefined);
    }, this.#memoryIntervalMs);
    inc.memoryTimer.unref();
  }

  #fail(reason: string): void {
    if (this.#fatalReason !== undefined) return;
    this.#fatalReason = reason;
    this.hooks.onFatal?.(reason);
  }

  #state(id: NodeId): NodeState<Handle> {
    const state = this.#nodes.get(id);
    if (!state) throw new Error(`unknown node ${id}: start() it first`);
    return state;
  }

  #running(id: NodeId, action: string): Incarnation {
    const inc = this.#state(id).current;
    if (!inc || inc.exit) throw new Error(`cannot ${action} node ${id}: it is not running`);
    return inc;
  }
}

function describeExit(exit: ExitStatus): string {
  if (exit.cause !== undefined) return exit.cause;
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function lastLines(tail: string[]): string {
  return tail.length === 0 ? "; it printed nothing" : `; last output:\n${tail.join("\n")}`;
}

/** The environment of node-contract "Each node"; the contract's variables win. */
export function nodeEnvironment(
  spec: NodeSpec,
  inside: { port: number; peerPort?: number; dataDir: string; tmpDir: string } = spec,
): Record<string, string> {
  const env: Record<string, string> = {
    ...spec.env,
    DSLAB_NODE_ID: spec.id,
    DSLAB_PORT: String(inside.port),
    DSLAB_PEERS: spec.peers.map((p) => `${p.id}=${p.host}:${p.port}`).join(","),
    DSLAB_DATA_DIR: inside.dataDir,
    TMPDIR: inside.tmpDir,
  };
  if (inside.peerPort !== undefined) env.DSLAB_PEER_PORT = String(inside.peerPort);
  return env;
}
