/**
 * The smallest set of operations whose results cannot be explained together, for evidence. A
 * set is shown by relaxing every other operation of the history to "took effect within its
 * time window, result unknown": that only adds orders (each order of the real history is still
 * one), so if even the relaxed history has no order, these results are contradictory on their
 * own, whatever the others returned. Starting from the operations answered before the blocked
 * one's result, delta debugging removes what the contradiction does not need. Bounded in model
 * steps only, so the same history always gives the same evidence.
 */
import type { LinearizabilityModel, Operation } from "./model.ts";
import { type Furthest, searchPart } from "./search.ts";

export interface MinimizeBudget {
  /** Steps one trial search may take (a trial that hits it counts as "no violation"). */
  trialSteps: number;
  /** Steps all trials together may take; the set found so far is returned when spent. */
  totalSteps: number;
  memoBytes: number;
}

/** Indexes into `ops` (sorted by call time) whose results together admit no order. */
export function smallestViolation<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  furthest: Furthest<S>,
  budget: MinimizeBudget,
): number[] {
  let stepsLeft = budget.totalSteps;
  const violates = (kept: ReadonlySet<number>, scope: readonly number[]): boolean => {
    if (stepsLeft <= 0) return false;
    const relaxed = scope.map((i) => {
      const op = ops[i] as Operation<I, O>;
      return kept.has(i) ? op : { ...op, output: undefined };
    });
    const outcome = searchPart(model, relaxed, {
      maxSteps: Math.min(budget.trialSteps, stepsLeft),
      deadline: Number.POSITIVE_INFINITY,
      memoBytes: budget.memoBytes,
    });
    stepsLeft -= outcome.steps;
    return outcome.kind === "violation";
  };

  const answered = (i: number) => (ops[i] as Operation<I, O>).returnT !== undefined;
  const byCall = (a: number, b: number) =>
    (ops[a] as Operation<I, O>).callT - (ops[b] as Operation<I, O>).callT || a - b;
  const all = ops.map((_, i) => i);
  // Operations invoked after the blocked one's result cannot be needed to contradict it once
  // those still running then are relaxed.
  const cut = (ops[furthest.blocked] as Operation<I, O>).returnT ?? Number.POSITIVE_INFINITY;
  let scope = all.filter((i) => (ops[i] as Operation<I, O>).callT <= cut);
  let kept = scope.filter((i) => answered(i) && ((ops[i] as Operation<I, O>).returnT ?? 0) <= cut);
  if (!violates(new Set(kept), scope)) {
    scope = all;
    kept = all.filter(answered);
    if (!violates(new Set(kept), scope)) return kept.sort(byCall); // budget spent: all of them
  }

  let chunks = 2;
  while (kept.length >= 2 && stepsLeft > 0) {
    const size = Math.ceil(kept.length / chunks);
    let removed = false;
    for (let start = 0; start < kept.length; start += size) {
      const without = [...kept.slice(0, start), ...kept.slice(start + size)];
      if (violates(new Set(without), scope)) {
        kept = without;
        chunks = Math.max(chunks - 1, 2);
        removed = true;
        break;
      }
    }
    if (removed) continue;
    if (size === 1) break;
    chunks = Math.min(chunks * 2, kept.length);
  }
  return kept.sort(byCall);
}
