/**
 * Scenario parameters of the labs with a group of nodes, read from header.params (already
 * scaled to the run's time scale): `terminationBoundMs` and `availability: { stableMs,
 * withinMs, maxLatencyMs }`. A malformed value is reported, never guessed at.
 */
import type { Trace } from "../trace/events.ts";

export interface AvailabilityParams {
  /** P: the shortest stable period that is judged. */
  stableMs: number;
  /** A: how long after the later of the period's start and an acknowledgement M may take. */
  withinMs: number;
  /** L: added latency (latency plus jitter) a link may have and still count as fault-free. */
  maxLatencyMs: number;
}

export type Param<T> = { ok: true; value: T } | { ok: false; why: string };

const isDuration = (v: unknown): v is number =>
  typeof v === "number" && Number.isFinite(v) && v >= 0;

/** How long after the final heal termination may take where a scenario does not say (unscaled). */
export const DEFAULT_TERMINATION_BOUND_MS = 30_000;

/** The run's termination bound: params.terminationBoundMs, else the default scaled like the run. */
export function terminationBound(trace: Trace): Param<number> {
  const v = trace.header.params?.terminationBoundMs;
  if (v === undefined)
    return { ok: true, value: DEFAULT_TERMINATION_BOUND_MS * (trace.header.timeScale || 1) };
  return isDuration(v)
    ? { ok: true, value: v }
    : { ok: false, why: `params.terminationBoundMs is ${JSON.stringify(v)}, not a duration in ms` };
}

export function availabilityParams(trace: Trace): Param<AvailabilityParams> | undefined {
  const v = trace.header.params?.availability;
  if (v === undefined) return undefined;
  const a = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  const { stableMs, withinMs, maxLatencyMs } = a;
  if (
    isDuration(stableMs) &&
    isDuration(withinMs) &&
    isDuration(maxLatencyMs) &&
    withinMs <= stableMs
  )
    return { ok: true, value: { stableMs, withinMs, maxLatencyMs } };
  return {
    ok: false,
    why: `params.availability is ${JSON.stringify(v)}; it needs stableMs, withinMs (at most stableMs) and maxLatencyMs in ms`,
  };
}
