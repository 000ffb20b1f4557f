/**
 * What the synthetic trace builders share: events added in any order, sorted by time (stably)
 * into a trace under a header of fixed, harmless values.
 */
import {
  type Fault,
  TRACE_FORMAT,
  TRACE_VERSION,
  type Trace,
  type TraceEvent,
  type TraceHeader,
} from "../../src/trace/events.ts";

/** The header of a hand-made trace: fixed values, but for the fields a test gives. */
export function syntheticHeader(fields: Partial<TraceHeader> = {}): TraceHeader {
  return {
    type: "header",
    t: 0,
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    lab: "rpc",
    scenario: "synthetic",
    seed: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    harness: { name: "dslab", version: "test", node: "v24" },
    submission: { path: "/dev/null", manifest: {} },
    runtime: "process",
    timeScale: 1,
    nodes: ["n1"],
    schedule: [],
    reproduce: "synthetic",
    params: {},
    ...fields,
  };
}

/** The events of a trace being built, and the events every lab's traces have. */
export class SyntheticTraceBuilder {
  private readonly events: TraceEvent[] = [];
  private readonly header: Partial<TraceHeader>;

  /** `header`: what differs from syntheticHeader's defaults (read when trace() is called). */
  constructor(header: Partial<TraceHeader>) {
    this.header = header;
  }

  add(event: TraceEvent): this {
    this.events.push(event);
    return this;
  }

  /** A fault started at t0 and stopped at t1 (still active at the end if t1 is undefined). */
  fault(t0: number, t1: number | undefined, id: number, fault: Fault): this {
    this.add({ type: "nemesis.start", t: t0, id, fault });
    return t1 === undefined ? this : this.add({ type: "nemesis.stop", t: t1, id, fault });
  }

  end(t: number, status: "completed" | "interrupted" | "aborted" = "completed"): this {
    return this.add({ type: "end", t, status });
  }

  trace(): Trace {
    const events = this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
      .map(({ e }) => e);
    return { header: syntheticHeader(this.header), events };
  }
}
