/**
 * Seed + plan -> the exact fault schedule of a run. Pure: one pure-rand generator from the
 * seed, draws in a fixed order, so the same seed and plan give the same schedule byte for
 * byte (the trace header records it; `--seed` reproduces it). Lab 1's plans draw exactly as
 * they always did (test/nemesis-schedule-lab1.test.ts pins them).
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { Direction, Fault, NodeId, ScheduledFault } from "../trace/events.ts";
import { drawCuts, SHAPE_MIN_NODES } from "./partition.ts";
import type { FaultChoice, GroupCount, NemesisPlan, Range, StablePeriod } from "./plan.ts";
import {
  draw,
  drawMinoritySize,
  largestMinority,
  pickOne,
  pickSome,
  pickWeighted,
} from "./random.ts";

export interface ScheduleOptions {
  /** Multiplies every time in the plan (atMs, durationMs, restartAfterMs). */
  timeScale: number;
  /** Link (proxy) names faults may target. */
  links: string[];
  nodes: NodeId[];
  /** Clients a client-cut may cut off; default clientsOf(links, nodes). */
  clients?: string[];
}

type GroupChoice = Extract<FaultChoice, { kind: "crash-group" | "pause-group" }>;
type PartitionChoice = Extract<FaultChoice, { kind: "partition" }>;
type SingleTargetChoice = Exclude<FaultChoice, GroupChoice | PartitionChoice>;

/** A drawn fault and the targets it keeps busy ("link:c1-n1", "node:n1", "partition"). */
interface Drawn {
  fault: Fault;
  keys: string[];
}

interface DrawContext {
  opts: ScheduleOptions;
  clients: string[];
  isFree: (key: string) => boolean;
  /** isolate-each partitions drawn so far, per choice. */
  turns: Map<FaultChoice, number>;
}

export function drawSchedule(
  seed: number,
  plan: NemesisPlan,
  opts: ScheduleOptions,
): ScheduledFault[] {
  checkPlan(plan, opts);
  const rng = xoroshiro128plus(seed);
  const scale = (ms: number) => Math.round(ms * opts.timeScale);
  const windowEnd = faultWindowEndMs(plan);
  const stable = stablePeriodsOf(plan);
  /** Unscaled end of the last fault on each target ("link:n1-n2", "node:n1"). */
  const busyUntil = new Map<string, number>();
  const turns = new Map<FaultChoice, number>();
  const clients = opts.clients ?? clientsOf(opts.links, opts.nodes);
  const schedule: ScheduledFault[] = [];
  let lastEnd = Number.NEGATIVE_INFINITY;
  let at = (plan.startAfterMs ?? 0) + draw(rng, plan.gapMs);

  while (
    plan.faults.length > 0 &&
    (plan.maxFaults === undefined || schedule.length < plan.maxFaults)
  ) {
    if (!plan.overlap) at = Math.max(at, lastEnd + plan.minStableMs);
    const chosen = pickWeighted(rng, plan.faults);
    const duration = draw(rng, chosen.durationMs ?? plan.faultDurationMs);
    at = clearOfStable(stable, at, duration);
    if (at + duration > windowEnd) break;
    const start = at;
    const isFree = (key: string) => (busyUntil.get(key) ?? 0) <= start;
    const drawn = drawTargeted(rng, chosen, { opts, clients, isFree, turns }, scale(duration));
    if (drawn !== undefined) {
      schedule.push({
        id: schedule.length + 1,
        atMs: scale(at),
        durationMs: scale(duration),
        fault: drawn.fault,
      });
      for (const key of drawn.keys) busyUntil.set(key, at + duration);
      lastEnd = Math.max(lastEnd, at + duration);
    }
    // A gap of at least 1 ms: the loop always moves forward.
    at += Math.max(1, draw(rng, plan.gapMs));
  }
  return withStableMarkers(schedule, stable, scale);
}

/** Unscaled end of the time in which faults may be active (and reactions fire). */
export function faultWindowEndMs(plan: NemesisPlan): number {
  return plan.durationMs - (plan.quietEndMs ?? plan.minStableMs);
}

/** How long a scheduled entry is in force: a crash lasts until its restart. */
export function activeMs(s: ScheduledFault): number {
  const f = s.fault;
  return f.kind === "crash" || f.kind === "crash-group" ? f.restartAfterMs : s.durationMs;
}

/**
 * Clients named by links "<client>-<node>" whose client part is not a node, in link order.
 */
export function clientsOf(links: readonly string[], nodes: readonly NodeId[]): string[] {
  const clients = new Set<string>();
  for (const link of links) {
    for (const node of nodes) {
      const client = link.endsWith(`-${node}`) ? link.slice(0, -node.length - 1) : "";
      if (client !== "" && !nodes.includes(client)) clients.add(client);
    }
  }
  return [...clients];
}

function stablePeriodsOf(plan: NemesisPlan): StablePeriod[] {
  return [...(plan.stablePeriods ?? [])].sort((a, b) => a.atMs - b.atMs);
}

/** The earliest start >= at whose [start, start + duration] touches no stable period. */
function clearOfStable(stable: readonly StablePeriod[], at: number, duration: number): number {
  let start = at;
  for (const p of stable) {
    if (start <= p.atMs + p.durationMs && start + duration >= p.atMs) {
      start = p.atMs + p.durationMs + 1;
    }
  }
  return start;
}

/** Stable periods join the schedule as {kind: "stable"} entries; ids follow time order. */
function withStableMarkers(
  faults: ScheduledFault[],
  stable: readonly StablePeriod[],
  scale: (ms: number) => number,
): ScheduledFault[] {
  if (stable.length === 0) return faults;
  const markers = stable.map(
    (p): ScheduledFault => ({
      id: 0,
      atMs: scale(p.atMs),
      durationMs: scale(p.durationMs),
      fault: { kind: "stable" },
    }),
  );
  return [...faults, ...markers]
    .sort((a, b) => a.atMs - b.atMs)
    .map((s, i) => ({ id: i + 1, atMs: s.atMs, durationMs: s.durationMs, fault: s.fault }));
}

function drawTargeted(
  rng: RandomGenerator,
  c: FaultChoice,
  ctx: DrawContext,
  scaledMs: number,
): Drawn | undefined {
  switch (c.kind) {
    case "partition":
      return drawPartition(rng, c, ctx);
    case "crash-group":
    case "pause-group":
      return drawGroup(rng, c, ctx, scaledMs);
    default: {
      const free = targetsOf(c, ctx.opts).filter(ctx.isFree);
      if (free.length === 0) return undefined;
      const target = pickOne(rng, free);
      const name = target.slice(target.indexOf(":") + 1);
      return { fault: drawFault(rng, c, name, scaledMs), keys: [target] };
    }
  }
}

/** Never two partitions at once: they share one target. */
function drawPartition(
  rng: RandomGenerator,
  c: PartitionChoice,
  ctx: DrawContext,
): Drawn | undefined {
  if (!ctx.isFree("partition")) return undefined;
  const shape = pickOne(rng, c.shapes);
  const turn = ctx.turns.get(c) ?? 0;
  if (shape === "isolate-each") ctx.turns.set(c, turn + 1);
  const nodes = c.nodes ?? ctx.opts.nodes;
  const cuts = drawCuts(rng, shape, { nodes, clients: ctx.clients, turn });
  return { fault: { kind: "partition", name: shape, cuts }, keys: ["partition"] };
}

function drawGroup(
  rng: RandomGenerator,
  c: GroupChoice,
  ctx: DrawContext,
  scaledMs: number,
): Drawn | undefined {
  const universe = c.nodes ?? ctx.opts.nodes;
  const size = groupSize(rng, c.count ?? "minority", universe.length);
  const free = universe.filter((node) => ctx.isFree(`node:${node}`));
  if (free.length < size) return undefined;
  const nodes = pickSome(rng, free, size);
  const keys = nodes.map((node) => `node:${node}`);
  if (c.kind === "crash-group") {
    return { fault: { kind: "crash-group", nodes, restartAfterMs: scaledMs }, keys };
  }
  return { fault: { kind: "pause-group", nodes }, keys };
}

function groupSize(rng: RandomGenerator, count: GroupCount, n: number): number {
  if (count === "one") return 1;
  if (count === "all") return n;
  return drawMinoritySize(rng, n);
}

function drawFault(
  rng: RandomGenerator,
  c: SingleTargetChoice,
  target: string,
  scaledMs: number,
): Fault {
  switch (c.kind) {
    case "latency":
      return {
        kind: "latency",
        link: target,
        direction: drawDirection(rng, c.direction),
        latencyMs: draw(rng, c.latencyMs),
        jitterMs: draw(rng, c.jitterMs),
      };
    case "blackhole":
    case "reset":
      return { kind: c.kind, link: target, direction: drawDirection(rng, c.direction) };
    case "truncate":
      return {
        kind: "truncate",
        link: target,
        direction: drawDirection(rng, c.direction),
        bytes: draw(rng, c.bytes),
      };
    case "slice":
      return {
        kind: "slice",
        link: target,
        direction: drawDirection(rng, c.direction),
        averageSize: draw(rng, c.averageSize),
        sizeVariation: draw(rng, c.sizeVariation),
        delayUs: draw(rng, c.delayUs),
      };
    case "bandwidth":
      return {
        kind: "bandwidth",
        link: target,
        direction: drawDirection(rng, c.direction),
        rateKBps: draw(rng, c.rateKBps),
      };
    case "link-down":
      return { kind: "link-down", link: target };
    case "crash":
      return { kind: "crash", node: target, restartAfterMs: scaledMs };
    case "pause":
      return { kind: "pause", node: target };
  }
}

/** Target keys ("link:x" / "node:y") a single-target choice may hit, in a fixed order. */
function targetsOf(c: SingleTargetChoice, opts: ScheduleOptions): string[] {
  if (c.kind === "crash" || c.kind === "pause") {
    return (c.nodes ?? opts.nodes).map((node) => `node:${node}`);
  }
  return (c.links ?? opts.links).map((link) => `link:${link}`);
}

function drawDirection(rng: RandomGenerator, choice: Direction | "either" = "either"): Direction {
  if (choice !== "either") return choice;
  return uniformInt(rng, 0, 1) === 0 ? "upstream" : "downstream";
}

/** Kinds whose `nodes` (rather than `links`) say what they may hit. */
const NODE_KINDS: ReadonlySet<string> = new Set([
  "crash",
  "pause",
  "partition",
  "crash-group",
  "pause-group",
]);

/** The plan's meaning checks (the JSON Schema checks its shape); lists every problem. */
export function checkPlan(plan: NemesisPlan, opts: ScheduleOptions): void {
  const problems: string[] = [];
  const checkRange = (where: string, r: Range) => {
    if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < 0 || r.min > r.max) {
      problems.push(`${where} must have whole numbers 0 <= min <= max, got ${JSON.stringify(r)}`);
    }
  };
  /** Every Range-valued field of an object: durationMs, latencyMs, bytes, ... */
  const checkRanges = (where: string, o: object) => {
    for (const [key, value] of Object.entries(o)) {
      if (typeof value === "object" && value !== null && "min" in value) {
        checkRange(`${where}.${key}`, value as Range);
      }
    }
  };
  if (!(opts.timeScale > 0)) problems.push(`timeScale must be > 0, got ${opts.timeScale}`);
  if (plan.faults.length === 0 && (plan.reactions ?? []).length === 0) {
    problems.push("faults must list at least one fault kind (or the plan have reactions)");
  }
  checkRange("gapMs", plan.gapMs);
  checkRange("faultDurationMs", plan.faultDurationMs);
  const clients = opts.clients ?? clientsOf(opts.links, opts.nodes);
  plan.faults.forEach((c, i) => {
    const where = `faults[${i}] (${c.kind})`;
    if (!(c.weight > 0)) problems.push(`${where}: weight must be > 0`);
    checkRanges(where, c);
    const isNodeFault = NODE_KINDS.has(c.kind);
    const known = isNodeFault ? opts.nodes : opts.links;
    const wanted = "nodes" in c ? c.nodes : "links" in c ? c.links : undefined;
    const unknown = (wanted ?? []).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      problems.push(`${where}: unknown ${isNodeFault ? "nodes" : "links"} ${unknown.join(", ")}`);
    }
    const targets = wanted ?? known;
    if (targets.length === 0) {
      problems.push(`${where}: no ${isNodeFault ? "node" : "link"} to target`);
    }
    if (c.kind === "partition") {
      for (const shape of c.shapes) {
        if (targets.length < SHAPE_MIN_NODES[shape]) {
          problems.push(
            `${where}: shape ${shape} needs at least ${SHAPE_MIN_NODES[shape]} nodes, it has ${targets.length}`,
          );
        }
      }
      if (c.shapes.includes("client-cut") && clients.length === 0) {
        problems.push(`${where}: shape client-cut needs a client link "<client>-<node>"`);
      }
    }
    if (
      (c.kind === "crash-group" || c.kind === "pause-group") &&
      (c.count ?? "minority") === "minority"
    ) {
      if (largestMinority(targets.length) < 1) {
        problems.push(`${where}: a minority needs at least 3 nodes, it has ${targets.length}`);
      }
    }
  });
  checkStablePeriods(plan, problems);
  (plan.reactions ?? []).forEach((r, i) => {
    const where = `reactions[${i}] (${r.do})`;
    checkRanges(where, r);
    if (!(Number.isInteger(r.times) && r.times >= 1)) problems.push(`${where}: times must be >= 1`);
    if (r.on === "reply") {
      if (r.procs.length === 0) problems.push(`${where}: procs must name a procedure`);
      if (opts.nodes.length < 3) {
        problems.push(`${where}: needs at least 3 nodes, there are ${opts.nodes.length}`);
      }
      return;
    }
    if (!(Number.isInteger(r.maxHoldMs) && r.maxHoldMs >= 1)) {
      problems.push(`${where}: maxHoldMs must be a whole number of milliseconds >= 1`);
    }
    if (largestMinority(opts.nodes.length) < 1) {
      problems.push(`${where}: needs at least 3 nodes, there are ${opts.nodes.length}`);
    }
  });
  if (problems.length > 0) throw new Error(`invalid nemesis plan: ${problems.join("; ")}`);
}

function checkStablePeriods(plan: NemesisPlan, problems: string[]): void {
  const periods = stablePeriodsOf(plan);
  periods.forEach((p, i) => {
    const where = `stablePeriods (at ${p.atMs} ms)`;
    if (
      !Number.isInteger(p.atMs) ||
      p.atMs < 0 ||
      !Number.isInteger(p.durationMs) ||
      p.durationMs < 1
    ) {
      problems.push(`${where}: needs whole numbers atMs >= 0 and durationMs >= 1`);
    }
    if (p.atMs + p.durationMs > plan.durationMs) {
      problems.push(`${where}: ends after the plan's durationMs ${plan.durationMs}`);
    }
    const previous = periods[i - 1];
    if (previous && previous.atMs + previous.durationMs > p.atMs) {
      problems.push(`${where}: overlaps the stable period at ${previous.atMs} ms`);
    }
  });
}
