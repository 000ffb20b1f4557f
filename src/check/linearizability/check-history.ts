/**
 * Linearizability of a whole history under a model: its independent parts searched one by one,
 * smallest first, stopping at the first part that has no order (the verdict cannot change
 * after it), within a step bound per part and a time bound for the whole. A violation comes
 * with the smallest set of operations the search found whose results cannot be explained.
 */
import type { LinearizabilityModel, Operation } from "./model.ts";
import { type Furthest, searchPart } from "./search.ts";
import { smallestViolation } from "./smallest-violation.ts";

export interface HistoryLimits {
  /** Model steps one part may take before it is "unknown". */
  maxStepsPerPart: number;
  /** Milliseconds for the whole history; parts left when they run out are "unknown". */
  timeoutMs: number;
  /** Memo memory per part, in bytes (a ceiling on the search's memory). */
  memoBytes: number;
  /** Search every part even after a violation (for a full report). */
  allParts: boolean;
  /** Find the smallest contradictory set for a violation (evidence; off: the verdict only). */
  smallest: boolean;
}

export const DEFAULT_LIMITS: HistoryLimits = {
  maxStepsPerPart: 50_000_000,
  timeoutMs: 60_000,
  memoBytes: 128 * 2 ** 20,
  allParts: false,
  smallest: true,
};

/**
 * Evidence search's bounds, in steps only (so evidence is the same on every run), scaled to what
 * finding the violation took: minimizing never costs much more than the verdict did.
 */
function minimizeBudget(searchSteps: number, memoBytes: number) {
  return {
    trialSteps: Math.min(200_000, Math.max(20_000, 4 * searchSteps)),
    totalSteps: Math.min(5_000_000, Math.max(1_000_000, 20 * searchSteps)),
    memoBytes,
  };
}

export type PartVerdict<S> =
  | { kind: "linearizable" }
  | { kind: "violation"; furthest: Furthest<S>; smallest?: number[] }
  | { kind: "unknown"; bound: "steps" | "time" }
  | { kind: "not-searched" };

export interface PartReport<S> {
  /** Indexes into the history's operations. */
  operations: number[];
  steps: number;
  ms: number;
  /** Furthest and smallest index into the history's operations too. */
  verdict: PartVerdict<S>;
}

export interface HistoryVerdict<S> {
  verdict: "linearizable" | "not-linearizable" | "unknown";
  parts: PartReport<S>[];
  steps: number;
  ms: number;
}

export function checkHistory<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  operations: readonly Operation<I, O>[],
  limits: Partial<HistoryLimits> = {},
): HistoryVerdict<S> {
  const { maxStepsPerPart, timeoutMs, memoBytes, allParts, smallest } = {
    ...DEFAULT_LIMITS,
    ...limits,
  };
  const started = performance.now();
  const deadline = started + timeoutMs;
  const partition = model.partition?.(operations) ?? [operations.map((_, i) => i)];
  const parts = partition
    .filter((part) => part.length > 0)
    .sort((a, b) => a.length - b.length || (a[0] as number) - (b[0] as number));
  const reports: PartReport<S>[] = [];
  let stop = false;
  for (const indexes of parts) {
    if (stop) {
      reports.push({ operations: indexes, steps: 0, ms: 0, verdict: { kind: "not-searched" } });
      continue;
    }
    const partStart = performance.now();
    const ops = indexes.map((i) => operations[i] as Operation<I, O>);
    const outcome = searchPart(model, ops, { maxSteps: maxStepsPerPart, deadline, memoBytes });
    let verdict: PartVerdict<S>;
    if (outcome.kind === "violation") {
      const { placed, blocked, state } = outcome.furthest;
      const toHistory = (i: number) => indexes[i] as number;
      verdict = {
        kind: "violation",
        furthest: { placed: placed.map(toHistory), blocked: toHistory(blocked), state },
        ...(smallest
          ? {
              smallest: smallestViolation(
                model,
                ops,
                outcome.furthest,
                minimizeBudget(outcome.steps, memoBytes),
              ).map(toHistory),
            }
          : {}),
      };
      stop = !allParts;
    } else if (outcome.kind === "unknown") {
      verdict = { kind: "unknown", bound: outcome.bound };
    } else {
      verdict = { kind: "linearizable" };
    }
    reports.push({
      operations: indexes,
      steps: outcome.steps,
      ms: performance.now() - partStart,
      verdict,
    });
  }
  const kinds = new Set(reports.map((r) => r.verdict.kind));
  return {
    verdict: kinds.has("violation")
      ? "not-linearizable"
      : kinds.has("unknown") || kinds.has("not-searched")
        ? "unknown"
        : "linearizable",
    parts: reports,
    steps: reports.reduce((sum, r) => sum + r.steps, 0),
    ms: performance.now() - started,
  };
}
