/**
 * How long a group lab's workload waits after the final heal for every call to finish: the
 * scenario's termination bound, which the run's wall-clock limit must leave room for.
 */
import { DEFAULT_TERMINATION_BOUND_MS } from "../check/scenario-params.ts";
import type { ScenarioDefinition } from "./definition.ts";

/** params.terminationBoundMs, else the checkers' default, scaled like the run. */
export function terminationBoundMs(scenario: ScenarioDefinition, timeScale: number): number {
  const bound = scenario.params?.terminationBoundMs;
  return (typeof bound === "number" ? bound : DEFAULT_TERMINATION_BOUND_MS) * timeScale;
}
