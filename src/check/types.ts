/**
 * What every property checker returns. Checkers are pure functions of a trace: they never
 * throw on odd or truncated input and never hang; when they cannot decide they say "unknown"
 * and why, rather than guessing or passing.
 */
import type { Trace } from "../trace/events.ts";

/**
 * "skipped" means the scenario did not exercise the property (no probe for it, no crash to
 * recover from...): neither a pass nor a failure, and graders must not count it as either.
 */
export type Verdict = "pass" | "fail" | "unknown" | "skipped";

export interface Evidence {
  message: string;
  /** Indexes into `trace.events`. */
  events: number[];
  /** Client operation ids (`op` of op.invoke / rpc.send) the message is about. */
  ops?: number[];
}

export interface CheckResult {
  /** Stable id, e.g. "at-most-once". */
  property: string;
  verdict: Verdict;
  /** One sentence a student understands. */
  summary: string;
  evidence: Evidence[];
}

export type Checker = (trace: Trace) => CheckResult;

/**
 * Safety: nothing bad happens (a violation in any prefix of the run is final). Liveness:
 * something good eventually happens (only a run that completed can show it did not).
 */
export type PropertyKind = "safety" | "liveness";

/** A checker as a lab lists it: its property id plus the function. */
export interface NamedChecker {
  property: string;
  kind: PropertyKind;
  /** What the property means, for reports and `--help`. */
  description: string;
  check: Checker;
}
