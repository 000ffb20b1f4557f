/**
 * Reactive faults: a plan's reactions, resolved for one run, and what each firing does. The
 * runner decides when one fires (it sees the run's events); what it does is drawn here from
 * a generator of its own, seeded from the run's seed and the reaction's index, so the n-th
 * firing of a reaction makes the same choices under the same seed whenever it happens.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { Fault, NodeId, ScheduledFault } from "../trace/events.ts";
import { isolate } from "./partition.ts";
import type { DecisionReaction, NemesisPlan, Reaction } from "./plan.ts";
import { draw, drawMinoritySize, pickSome } from "./random.ts";
import { activeMs, checkPlan, faultWindowEndMs, type ScheduleOptions } from "./schedule.ts";

/** One reaction of a plan, ready for the runner. */
export interface ReactionSpec<R extends Reaction = Reaction> {
  /** Its index in plan.reactions. */
  index: number;
  reaction: R;
  /** Every node of the run. */
  nodes: NodeId[];
  timeScale: number;
  /** Schedule time (scaled) by which everything it does has ended: the fault window's end. */
  untilMs: number;
  seed: number;
}

/**
 * What one firing does, all of it from the moment it fires: `crash` kills its nodes and
 * restarts them after its restartAfterMs; `isolation` stays in force until the danger has
 * been tested: the crashed nodes are ready again and every node of `awaited` (all but the
 * decider) has output a decision for the slot, so the survivors had to decide without the
 * decider. However slow the submission, it holds that long, up to maxHoldMs (scaled) after
 * the crashed nodes are back; the runner traces which of the two ended it.
 */
export interface ReactionFiring {
  isolation: Extract<Fault, { kind: "partition" }>;
  crash: Extract<Fault, { kind: "crash-group" }>;
  awaited: NodeId[];
  maxHoldMs: number;
}

export function reactionsOf(
  seed: number,
  plan: NemesisPlan,
  opts: ScheduleOptions,
): ReactionSpec[] {
  checkPlan(plan, opts);
  const untilMs = Math.round(faultWindowEndMs(plan) * opts.timeScale);
  return (plan.reactions ?? []).map((reaction, index) => ({
    index,
    reaction,
    nodes: [...opts.nodes],
    timeScale: opts.timeScale,
    untilMs,
    seed,
  }));
}

/** The reaction's own generator: the seed's stream, jumped index + 1 times. */
export function reactionRng(spec: ReactionSpec): RandomGenerator {
  const rng = xoroshiro128plus(spec.seed);
  for (let i = 0; i <= spec.index; i += 1) rng.jump();
  return rng;
}

export function isDecisionSpec(spec: ReactionSpec): spec is ReactionSpec<DecisionReaction> {
  return spec.reaction.on === "decide";
}

/**
 * The least a firing keeps faults in force (scaled): a decision reaction's crash (its
 * isolation lasts longer, as long as the survivors take to decide); an answer reaction's
 * longest hold.
 */
export function shortestFiringMs(spec: ReactionSpec): number {
  const r = spec.reaction;
  const ms = r.on === "decide" ? r.restartAfterMs.max : r.holdMs.max;
  return Math.round(ms * spec.timeScale);
}

/** The longest a plan's firings may keep a node cut off in all (unscaled). */
export function longestHoldsMs(plan: NemesisPlan): number {
  return (plan.reactions ?? []).reduce(
    (sum, r) =>
      sum + r.times * (r.on === "decide" ? r.restartAfterMs.max + r.maxHoldMs : r.holdMs.max),
    0,
  );
}

/**
 * isolate-decider-crash-minority: the decider cut off from every other node, and a random
 * minority of the others crashed. isolate-decider-crash-others: every other node crashed
 * (what they accepted must survive: they are a majority without it).
 */
export function drawReaction(
  rng: RandomGenerator,
  spec: ReactionSpec,
  decider: NodeId,
): ReactionFiring {
  const reaction = spec.reaction;
  if (reaction.on !== "decide") throw new Error(`reaction ${spec.index} does not answer decisions`);
  const scale = (ms: number) => Math.round(ms * spec.timeScale);
  const downMs = draw(rng, reaction.restartAfterMs);
  const others = spec.nodes.filter((node) => node !== decider);
  const crashed =
    reaction.do === "isolate-decider-crash-others"
      ? others
      : pickSome(rng, others, drawMinoritySize(rng, spec.nodes.length));
  return {
    isolation: { kind: "partition", name: "isolate-one", cuts: isolate(decider, spec.nodes) },
    crash: { kind: "crash-group", nodes: crashed, restartAfterMs: scale(downMs) },
    awaited: others,
    maxHoldMs: scale(reaction.maxHoldMs),
  };
}

/**
 * Whether a firing at schedule time atMs, in force at least lengthMs, stays clear of every
 * scheduled entry (faults and stable periods) and ends by untilMs. Its isolation lasts until
 * the survivors decide, so it may run past lengthMs and even past untilMs (the final heal then
 * waits for it): the checkers judge calm stretches from the faults as they ran
 * (nemesis.start / stop), never from the plan.
 */
export function canReact(
  atMs: number,
  lengthMs: number,
  schedule: readonly ScheduledFault[],
  untilMs: number,
): boolean {
  if (atMs < 0 || atMs + lengthMs > untilMs) return false;
  return schedule.every(
    (s) => slowsOnly(s) || s.atMs + activeMs(s) <= atMs || s.atMs >= atMs + lengthMs,
  );
}

/**
 * Slow links (latency, bandwidth) cut nothing off: a reaction may fire while they are in force,
 * and they widen the window it strikes in (a decision travels slowly to the other nodes).
 */
function slowsOnly(s: ScheduledFault): boolean {
  return s.fault.kind === "latency" || s.fault.kind === "bandwidth";
}
