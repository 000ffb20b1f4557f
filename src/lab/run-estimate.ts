/**
 * How long one run of a scenario should take (for the grader's time budget), and the hard
 * wall-clock limit past which the harness stops it: a run must never hang a grader.
 */
import type { LabDefinition, ScenarioDefinition } from "./definition.ts";

/** Toxiproxy, the node's start, the final reads and the checkers, per run. */
export const RUN_OVERHEAD_MS = 1500;
/** A probe that does not say how long it takes. */
export const DEFAULT_PROBE_ESTIMATE_MS = 10_000;
/** Room beyond the estimate: a failing submission waits out its limits (lab 2's 30 s bound). */
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

/** Past this, the run is stopped and reported as the harness's error (never a pass). */
export function runWallLimitMs(
  definition: LabDefinition,
  scenario: ScenarioDefinition,
  timeScale: number,
): number {
  return (
    WALL_LIMIT_FACTOR * estimateRunMs(definition, scenario, timeScale) +
    WALL_LIMIT_SLACK_MS * Math.max(1, timeScale)
  );
}
