/**
 * How long one run of a scenario should take (for the grader's time budget), and the hard
 * wall-clock limit past which the harness stops it: a run must never hang a grader.
 */

import { longestHoldsMs } from "../nemesis/reactions.ts";
import type { LabDefinition, ScenarioDefinition } from "./definition.ts";
import { findLab } from "./registry.ts";

/** Toxiproxy, the node's start, the final reads and the checkers, per run. */
export const RUN_OVERHEAD_MS = 1500;
/** A probe that does not say how long it takes. */
export const DEFAULT_PROBE_ESTIMATE_MS = 10_000;
/** Room beyond the estimate (and beyond the wait after the heal, counted on its own). */
const WALL_LIMIT_FACTOR = 3;
const WALL_LIMIT_SLACK_MS = 120_000;

/**
 * One run's wall time: the scenario's own estimate, else its workload or nemesis duration
 * scaled like the run itself, plus the start-up and checking around it.
 */
export function estimateRunMs(
  definition: LabDefinition,
  scenario: ScenarioDefinition,
  timeScale: number,
): number {
  if (scenario.estimatedMs !== undefined) return scenario.estimatedMs;
  if (scenario.probe !== undefined) return DEFAULT_PROBE_ESTIMATE_MS;
  const workloadMs = scenario.workload?.durationMs ?? definition.workloadDefaults.durationMs ?? 0;
  const nemesisMs = scenario.nemesis?.durationMs ?? 0;
  return Math.round(Math.max(workloadMs, nemesisMs) * timeScale) + RUN_OVERHEAD_MS;
}

/**
 * How long a run may wait after the final heal, beyond the estimate, as its lab says (lab 2's
 * workload polls until every node has decided every slot or its termination bound has passed).
 * A correct submission hardly waits, so the estimate (the grader's budget) leaves it out; only
 * a failing one waits it out, and the wall-clock limit must let it.
 */
export function waitAfterHealMs(
  definition: LabDefinition,
  scenario: ScenarioDefinition,
  timeScale: number,
): number {
  return findLab(definition.lab).waitAfterHealMs?.(scenario, timeScale) ?? 0;
}

/** Past this, the run is stopped and reported as the harness's error (never a pass). */
export function runWallLimitMs(
  definition: LabDefinition,
  scenario: ScenarioDefinition,
  timeScale: number,
): number {
  return (
    WALL_LIMIT_FACTOR * estimateRunMs(definition, scenario, timeScale) +
    waitAfterHealMs(definition, scenario, timeScale) +
    // A reaction holds its decider cut off until the others decide: a failing run waits it out.
    Math.round((scenario.nemesis ? longestHoldsMs(scenario.nemesis) : 0) * timeScale) +
    WALL_LIMIT_SLACK_MS * Math.max(1, timeScale)
  );
}
