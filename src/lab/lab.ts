/**
 * A lab, as the core sees it: everything one lab's folder (labs/<lab>/) gives dslab. The core
 * calls these and never looks behind them; src/lab/registry.ts is the one place that lists labs.
 */
import type { NamedChecker } from "../check/types.ts";
import type { RpcProgram } from "../rpc/program.ts";
import type { NodeRuntime } from "../runtime/types.ts";
import type { TraceEvent } from "../trace/events.ts";
import type { LabDefinition, ScenarioDefinition } from "./definition.ts";

export interface Lab {
  /** The name manifests, course files, traces and the CLI use; labs/<name>/ holds the rest. */
  name: string;
  /** The RPC program its nodes serve: how calls and results cross the wire and read. */
  program: RpcProgram;
  /** stdout JSON "type"s that are events for this lab (lab 2's "decide"). */
  eventTypes: string[];
  checkers: NamedChecker[];
  /** Runs the workload (or probe) while the nemesis works; ends after the final reads. */
  run(ctx: DriverContext): Promise<void>;
  /**
   * How long a run may still wait after the final heal, beyond its estimate (lab 2 polls until
   * every node decided or its termination bound passed); none when absent.
   */
  waitAfterHealMs?(scenario: ScenarioDefinition, timeScale: number): number;
}

export interface Endpoint {
  link: string;
  host: string;
  port: number;
}

/** What a lab's run is given: the scenario, the clock, the trace and the network. */
export interface DriverContext {
  scenario: ScenarioDefinition;
  definition: LabDefinition;
  seed: number;
  timeScale: number;
  /** The scenario's nodes (n1, n2...). */
  nodes: string[];
  emit: (event: TraceEvent) => void;
  now: () => number;
  signal: AbortSignal;
  runtime: NodeRuntime;
  /** The proxy in front of `node` for `client`. */
  endpoint: (client: string, node: string) => Endpoint;
  /** Resolves after the schedule ended and the final heal completed (at once if no faults). */
  nemesisDone: Promise<void>;
  /** Calls `observer` with every event recorded from now on; returns the unsubscribe. */
  observe: (observer: (event: TraceEvent) => void) => () => void;
}
