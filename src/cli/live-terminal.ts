/**
 * What `dslab test` adds on a terminal: colour on verdicts, and a live status line at the
 * bottom (the runs going on, elapsed time, calls and faults so far, runs done) redrawn in place.
 * Off the terminal (a pipe, a file, CI) and under NO_COLOR, output stays plain lines, unchanged.
 */
import { styleText } from "node:util";
import type { RunKey } from "../lab/run-lab.ts";
import type { TraceEvent } from "../trace/events.ts";

type Style = Parameters<typeof styleText>[0];

/** The part of a terminal stream this needs (process.stdout, or a test's stand-in). */
export interface TerminalSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const set = (value: string | undefined) => value !== undefined && value !== "";

/** Colour and the live line: only on a terminal, and never under NO_COLOR, CI or TERM=dumb. */
export function wantsLiveTerminal(
  sink: TerminalSink,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const ci = set(env.CI) && env.CI !== "false" && env.CI !== "0";
  return sink.isTTY === true && !set(env.NO_COLOR) && !ci && env.TERM !== "dumb";
}

const paint = (style: Style, text: string) => styleText(style, text, { validateStream: false });

const VERDICT_STYLES: Readonly<Record<string, Style>> = {
  PASS: ["green", "bold"],
  FAIL: ["red", "bold"],
  UNKNOWN: ["yellow", "bold"],
  ERROR: ["magenta", "bold"],
  FAILED: ["red", "bold"],
  passed: "green",
  skipped: "gray",
};

/** A result line with its verdicts coloured; the words stay the same as the plain output. */
export function colourLine(text: string): string {
  return text
    .replace(
      /^( *)(PASS|FAIL|UNKNOWN|ERROR)( )/,
      (_, indent: string, verdict: string, space: string) =>
        `${indent}${paint(VERDICT_STYLES[verdict] ?? "bold", verdict)}${space}`,
    )
    .replace(
      /^( +[\w-]+ )(FAILED|UNKNOWN|passed|skipped)(:)/,
      (_, head: string, verdict: string, colon: string) =>
        `${head}${paint(VERDICT_STYLES[verdict] ?? "bold", verdict)}${colon}`,
    )
    .replace(
      /^( +)(reproduce:|trace:|view:|fault schedule:)/,
      (_, indent: string, label: string) => `${indent}${paint("cyan", label)}`,
    )
    .replace(/^(score .*|build FAILED.*)$/, (line: string) => paint("bold", line));
}

interface LiveRun {
  label: string;
  startedAt: number;
  operations: number;
  faults: number;
}

const REDRAW_MS = 250;
const CLEAR_LINE = "\r\x1b[2K";

/** The live status line: printed lines go above it; it is redrawn in place every 250 ms. */
export class StatusLine {
  private readonly runs = new Map<string, LiveRun>();
  private finished = 0;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  private readonly sink: TerminalSink;
  private readonly totalRuns: number;
  private readonly now: () => number;

  constructor(sink: TerminalSink, totalRuns: number, now: () => number = Date.now) {
    this.sink = sink;
    this.totalRuns = totalRuns;
    this.now = now;
  }

  start(run: RunKey): void {
    this.runs.set(keyOf(run), {
      label: `${run.scenario} (seed ${run.seed})`,
      startedAt: this.now(),
      operations: 0,
      faults: 0,
    });
    this.timer ??= setInterval(() => this.draw(), REDRAW_MS).unref();
    this.draw();
  }

  event(run: RunKey, event: TraceEvent): void {
    const live = this.runs.get(keyOf(run));
    if (!live) return;
    if (event.type === "op.invoke") live.operations++;
    else if (event.type === "nemesis.start") live.faults++;
  }

  finish(run: RunKey): void {
    this.runs.delete(keyOf(run));
    this.finished++;
  }

  /** A line of output, above the status line. */
  print(text: string): void {
    this.clear();
    this.sink.write(`${text}\n`);
    this.draw();
  }

  /** A stream for testOutput: each line written goes above the status line, coloured. */
  lines(): { write(text: string): void } {
    return {
      write: (text) => {
        for (const line of text.replace(/\n$/, "").split("\n")) this.print(colourLine(line));
      },
    };
  }

  /** The run is over: the status line goes, for good. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.runs.clear();
  }

  /** The status line's text (no escapes), as drawn now. */
  render(): string {
    const runs = [...this.runs.values()].map((run) => {
      const seconds = ((this.now() - run.startedAt) / 1000).toFixed(1);
      return `${run.label} ${seconds} s, ${run.operations} ops, ${run.faults} faults`;
    });
    return `[${this.finished}/${this.totalRuns} done] running ${runs.join(" | ")}`;
  }

  private draw(): void {
    if (this.runs.size === 0) return;
    // A terminal that reports no size (0, as some pseudo-terminals do) is taken as 80 wide.
    const width = Math.max(20, (this.sink.columns || 80) - 1);
    const text = this.render();
    const fitted = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.sink.write(`${CLEAR_LINE}${paint("dim", fitted)}`);
    this.shown = true;
  }

  private clear(): void {
    if (!this.shown) return;
    this.sink.write(CLEAR_LINE);
    this.shown = false;
  }
}

const keyOf = (run: RunKey) => `${run.scenario}\u0000${run.seed}`;
