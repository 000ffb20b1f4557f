/**
 * How long lab 2's workload waits after the final heal for every node to decide every slot:
 * the driver's wait, which the run's wall-clock limit must leave room for.
 */
import type { ScenarioDefinition } from "../../lab/definition.ts";

/** 30 s at time scale 1, unless the scenario states its own bound. */
const DEFAULT_TERMINATION_BOUND_MS = 30_000;

/** The scenario's termination bound (params.terminationBoundMs), scaled like the run. */
export function terminationBoundMs(scenario: ScenarioDefinition, timeScale: number): number {
  const bound = scenario.params?.terminationBoundMs;
  return (typeof bound === "number" ? bound : DEFAULT_TERMINATION_BOUND_MS) * timeScale;
}
