/**
 * The time budget (e.g. Gradescope's limit): before a scenario's first run, it starts only if
 * all its runs are expected to fit in what is left; otherwise it is skipped whole (a scenario
 * with half its repeats cannot be graded) and later, shorter ones still get their chance.
 */
import type { PlannedScenario } from "./plan.ts";

/** Kept free at the end: a scenario starts only if it should end this long before the budget. */
export const BUDGET_RESERVE_MS = 10_000;
/** A run still going this long before the budget ends is stopped, to leave time for results. */
export const BUDGET_STOP_MARGIN_MS = 5_000;

export interface BudgetGate {
  /** For runTests' shouldStart. */
  shouldStart(run: { scenario: { name: string }; seed: number }): boolean;
  /** Why a scenario was skipped, if it was. */
  skipped: Map<string, string>;
}

export function budgetGate(
  plan: PlannedScenario[],
  budgetMs: number | undefined,
  elapsedMs: () => number,
): BudgetGate {
  const skipped = new Map<string, string>();
  const admitted = new Set<string>();
  return {
    skipped,
    shouldStart({ scenario }) {
      if (admitted.has(scenario.name)) return true;
      if (skipped.has(scenario.name)) return false;
      const planned = plan.find((entry) => entry.scenario.name === scenario.name);
      if (budgetMs === undefined || planned === undefined) {
        admitted.add(scenario.name);
        return true;
      }
      const leftMs = budgetMs - BUDGET_RESERVE_MS - elapsedMs();
      if (planned.estimatedMs <= leftMs) {
        admitted.add(scenario.name);
        return true;
      }
      skipped.set(
        scenario.name,
        `not run: the time budget of ${seconds(budgetMs)} had ${seconds(Math.max(0, leftMs))} left, and this scenario needs about ${seconds(planned.estimatedMs)}`,
      );
      return false;
    },
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
