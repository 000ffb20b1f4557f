/**
 * A nemesis plan: what a scenario file says about faults, as plain JSON. drawSchedule turns a
 * plan and a seed into the exact faults of one run. All times are ms before scaling.
 */
import type { Direction } from "../trace/events.ts";

/** Inclusive range of whole numbers, drawn uniformly. */
export interface Range {
  min: number;
  max: number;
}

/** A fixed stream, or "either" (drawn per fault). */
export type DirectionChoice = Direction | "either";

interface ChoiceBase {
  /** Relative likelihood of this kind (> 0). */
  weight: number;
  /** How long this kind lasts; default the plan's faultDurationMs. For crash: the downtime. */
  durationMs?: Range;
}

interface LinkChoice extends ChoiceBase {
  /** Links it may hit; default every link. */
  links?: string[];
  /** Default "either". */
  direction?: DirectionChoice;
}

interface NodeChoice extends ChoiceBase {
  /** Nodes it may hit; default every node. */
  nodes?: string[];
}

/**
 * How a partition is drawn over its nodes (Jepsen's grudges): isolate-one cuts a random node
 * off, isolate-each cuts off the first node, then the second..., minority a random minority,
 * halves floor/ceil, bridge two halves and one node that reaches both, majorities-ring lets
 * each node see a different majority (4+ nodes), one-way a node that receives but cannot
 * send, client-cut a client cut off from a random minority.
 */
export type PartitionShape =
  | "isolate-one"
  | "isolate-each"
  | "minority"
  | "halves"
  | "bridge"
  | "majorities-ring"
  | "one-way"
  | "client-cut";

export const PARTITION_SHAPES: readonly PartitionShape[] = [
  "isolate-one",
  "isolate-each",
  "minority",
  "halves",
  "bridge",
  "majorities-ring",
  "one-way",
  "client-cut",
];

/** How many nodes a group fault takes: a minority is 1 to floor((n-1)/2) of its n nodes. */
export type GroupCount = "one" | "minority" | "all";

export type FaultChoice =
  | (LinkChoice & { kind: "latency"; latencyMs: Range; jitterMs: Range })
  | (LinkChoice & { kind: "blackhole" })
  | (LinkChoice & { kind: "reset" })
  | (LinkChoice & { kind: "truncate"; bytes: Range })
  | (LinkChoice & { kind: "slice"; averageSize: Range; sizeVariation: Range; delayUs: Range })
  | (LinkChoice & { kind: "bandwidth"; rateKBps: Range })
  | (ChoiceBase & { kind: "link-down"; links?: string[] })
  | (NodeChoice & { kind: "crash" })
  | (NodeChoice & { kind: "pause" })
  /** `nodes`: the nodes the partition is drawn over (the others keep every link). */
  | (NodeChoice & { kind: "partition"; shapes: PartitionShape[] })
  /** `nodes`: the nodes it is drawn from; count default "minority". */
  | (NodeChoice & { kind: "crash-group" | "pause-group"; count?: GroupCount });

/** A time (unscaled) in which no fault starts or is active. */
export interface StablePeriod {
  atMs: number;
  durationMs: number;
}

/**
 * A fault that answers the run's events. isolate-decider-crash-minority: when a node prints a
 * slot's first decision, cut it off from every other node, and at once crash a random
 * minority of the other nodes, restarted restartAfterMs later; the decider stays cut off until
 * they are ready again and every other node has printed that slot's decision (they had to
 * decide without it, however slow they are), or maxHoldMs after they are back.
 * isolate-decider-crash-others crashes every other node. Fires `times` times, on first
 * decisions that find the nemesis idle (no firing in force, no scheduled fault active or due
 * within restartAfterMs.max, no stable period); a plan's reactions take turns.
 */
export interface DecisionReaction {
  on: "decide";
  times: number;
  do: "isolate-decider-crash-minority" | "isolate-decider-crash-others";
  /** How long the crashed nodes stay down. */
  restartAfterMs: Range;
  /**
   * The longest the decider stays cut off once the crashed nodes are back, if the others
   * have not all output the slot's decision by then (the scenario's termination bound).
   */
  maxHoldMs: number;
}

/**
 * isolate-answerer: when a node answers one of `procs` (a SUCCESS reply, say to a write), cut
 * it off from every other node for holdMs (clients still reach it): what it answered must
 * already be committed by a majority, and the workload, seeing the firing (its trigger names
 * the call), sends the call again and its next calls to the other side. Fires `times` times,
 * on replies that find the nemesis idle, like a decision reaction.
 */
export interface AnswerReaction {
  on: "reply";
  /** The program's procedure numbers whose SUCCESS replies fire it. */
  procs: number[];
  times: number;
  do: "isolate-answerer";
  holdMs: Range;
}

export type Reaction = DecisionReaction | AnswerReaction;

export interface NemesisPlan {
  /** Length of the faulty part of the run. */
  durationMs: number;
  /** No fault starts earlier (lets the workload warm up). Default 0. */
  startAfterMs?: number;
  /** Every fault has ended this long before durationMs. Default minStableMs. */
  quietEndMs?: number;
  faults: FaultChoice[];
  /** At most this many faults. Default: as many as fit. */
  maxFaults?: number;
  /** Time from one fault's start to the next one's start. */
  gapMs: Range;
  /** How long a fault lasts, unless its choice says otherwise. */
  faultDurationMs: Range;
  /** Whether faults may be active at the same time (never two on one link or one node). */
  overlap: boolean;
  /** Without overlap: healthy time between one fault's end and the next one's start. */
  minStableMs: number;
  /** Left free of faults and recorded in the schedule as {kind: "stable"} entries. */
  stablePeriods?: StablePeriod[];
  /** Reactive faults; faults may then be empty. */
  reactions?: Reaction[];
}

const range = {
  type: "object",
  required: ["min", "max"],
  additionalProperties: false,
  properties: { min: { type: "integer", minimum: 0 }, max: { type: "integer", minimum: 0 } },
} as const;

const names = { type: "array", items: { type: "string" }, minItems: 1 } as const;
const base = { weight: { type: "number", exclusiveMinimum: 0 }, durationMs: range } as const;
const linkBase = {
  ...base,
  links: names,
  direction: { enum: ["upstream", "downstream", "either"] },
};

const groupChoice = { ...base, nodes: names, count: { enum: ["one", "minority", "all"] } };

function choice(kind: string, properties: Record<string, unknown>, required: string[] = []) {
  return {
    type: "object",
    required: ["kind", "weight", ...required],
    additionalProperties: false,
    properties: { kind: { const: kind }, ...properties },
  };
}

/** JSON Schema (draft-07, what ajv validates by default) of a plan in a scenario file. */
export const NEMESIS_PLAN_SCHEMA = {
  type: "object",
  required: ["durationMs", "faults", "gapMs", "faultDurationMs", "overlap", "minStableMs"],
  additionalProperties: false,
  properties: {
    durationMs: { type: "integer", minimum: 0 },
    startAfterMs: { type: "integer", minimum: 0 },
    quietEndMs: { type: "integer", minimum: 0 },
    maxFaults: { type: "integer", minimum: 0 },
    gapMs: range,
    faultDurationMs: range,
    overlap: { type: "boolean" },
    minStableMs: { type: "integer", minimum: 0 },
    faults: {
      type: "array",
      items: {
        oneOf: [
          choice("latency", { ...linkBase, latencyMs: range, jitterMs: range }, [
            "latencyMs",
            "jitterMs",
          ]),
          choice("blackhole", linkBase),
          choice("reset", linkBase),
          choice("truncate", { ...linkBase, bytes: range }, ["bytes"]),
          choice(
            "slice",
            { ...linkBase, averageSize: range, sizeVariation: range, delayUs: range },
            ["averageSize", "sizeVariation", "delayUs"],
          ),
          choice("bandwidth", { ...linkBase, rateKBps: range }, ["rateKBps"]),
          choice("link-down", { ...base, links: names }),
          choice("crash", { ...base, nodes: names }),
          choice("pause", { ...base, nodes: names }),
          choice(
            "partition",
            {
              ...base,
              nodes: names,
              shapes: { type: "array", items: { enum: PARTITION_SHAPES }, minItems: 1 },
            },
            ["shapes"],
          ),
          choice("crash-group", groupChoice),
          choice("pause-group", groupChoice),
        ],
      },
    },
    stablePeriods: {
      type: "array",
      items: {
        type: "object",
        required: ["atMs", "durationMs"],
        additionalProperties: false,
        properties: {
          atMs: { type: "integer", minimum: 0 },
          durationMs: { type: "integer", minimum: 1 },
        },
      },
    },
    reactions: {
      type: "array",
      items: {
        oneOf: [
          {
            type: "object",
            required: ["on", "times", "do", "restartAfterMs", "maxHoldMs"],
            additionalProperties: false,
            properties: {
              on: { const: "decide" },
              times: { type: "integer", minimum: 1 },
              do: { enum: ["isolate-decider-crash-minority", "isolate-decider-crash-others"] },
              restartAfterMs: range,
              maxHoldMs: { type: "integer", minimum: 1 },
            },
          },
          {
            type: "object",
            required: ["on", "procs", "times", "do", "holdMs"],
            additionalProperties: false,
            properties: {
              on: { const: "reply" },
              procs: { type: "array", minItems: 1, items: { type: "integer", minimum: 0 } },
              times: { type: "integer", minimum: 1 },
              do: { const: "isolate-answerer" },
              holdMs: range,
            },
          },
        ],
      },
    },
  },
} as const;
