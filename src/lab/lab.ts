/**
 * A lab, as the core sees it: everything one lab's folder (labs/<lab>/) gives dslab. The core
 * calls these and never looks behind them; src/lab/registry.ts is the one place that lists labs.
 */
import type { NamedChecker } from "../check/types.ts";
import type { ProgramCall, RpcProgram } from "../rpc/program.ts";
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
  /** One of those events as a short phrase ("decide slot 7 ..."); its fields as JSON when absent. */
  describeNodeEvent?(event: Readonly<Record<string, unknown>>): string;
  checkers: NamedChecker[];
  /**
   * The workload's parameters and what each means: lab.json's workloadDefaults gives exactly
   * these, and scenarios and course files may change only these (a misspelt one is an error).
   */
  workloadParameters: Readonly<Record<string, string>>;
  /** Runs the workload (or probe) while the nemesis works; ends after the final reads. */
  run(ctx: DriverContext): Promise<void>;
  /** `dslab inspect` options that keep the calls about one thing (lab 1's --key, lab 2's --slot). */
  filters?: CallFilter[];
  /**
   * How long a run may still wait after the final heal, beyond its estimate (lab 2 polls until
   * every node decided or its termination bound passed); none when absent.
   */
  waitAfterHealMs?(scenario: ScenarioDefinition, timeScale: number): number;
}

/** An inspect option of a lab's: `--<option> <value>` keeps the calls (and node events) about it. */
export interface CallFilter {
  /** The option's name, e.g. "key" for --key <key>; never one of inspect's own. */
  option: string;
  /** The option's help, e.g. "only ops on this key and its subtree". */
  help: string;
  /** Whether a call of this lab is about `value` (called only for calls its program recognises). */
  matchesCall(call: ProgramCall, value: string): boolean;
  /** Whether a node's stdout event is about `value` (lab 2's decide lines); none when absent. */
  matchesNodeEvent?(event: Readonly<Record<string, unknown>>, value: string): boolean;
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
