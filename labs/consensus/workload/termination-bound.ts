/**
 * How long lab 2's workload waits after the final heal for every node to decide every slot:
 * the driver's wait, which the run's wall-clock limit must leave room for.
 */

import type { ScenarioDefinition } from "../../../src/lab/definition.ts";
import { DEFAULT_TERMINATION_BOUND_MS } from "../check/termination.ts";

/**
 * The scenario's termination bound (params.terminationBoundMs, else the checker's default:
 * one number for both), scaled like the run.
 */
export function terminationBoundMs(scenario: ScenarioDefinition, timeScale: number): number {
  const bound = scenario.params?.terminationBoundMs;
  return (typeof bound === "number" ? bound : DEFAULT_TERMINATION_BOUND_MS) * timeScale;
}
