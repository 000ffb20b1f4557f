/**
 * Seed + plan -> the exact fault schedule of a run. Pure: one pure-rand generator from the
 * seed, draws in a fixed order, so the same seed and plan give the same schedule byte for
 * byte (the trace header records it; `--seed` reproduces it).
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { Direction, Fault, NodeId, ScheduledFault } from "../trace/events.ts";
import type { FaultChoice, NemesisPlan, Range } from "./plan.ts";

export interface ScheduleOptions {
  /** Multiplies every time in the plan (atMs, durationMs, restartAfterMs). */
  timeScale: number;
  /** Link (proxy) names faults may target. */
  links: string[];
  nodes: NodeId[];
}

export function drawSchedule(
  seed: number,
  plan: NemesisPlan,
  opts: ScheduleOptions,
): ScheduledFault[] {
  checkPlan(plan, opts);
  const rng = xoroshiro128plus(seed);
  const scale = (ms: number) => Math.round(ms * opts.timeScale);
  const windowEnd = plan.durationMs - (plan.quietEndMs ?? plan.minStableMs);
  /** Unscaled end of the last fault on each target ("link:n1-n2", "node:n1"). */
  const busyUntil = new Map<string, number>();
  const schedule: ScheduledFault[] = [];
  let lastEnd = Number.NEGATIVE_INFINITY;
  let at = (plan.startAfterMs ?? 0) + draw(rng, plan.gapMs);

  while (plan.maxFaults === undefined || schedule.length < plan.maxFaults) {
    if (!plan.overlap) at = Math.max(at, lastEnd + plan.minStableMs);
    const chosen = pickWeighted(rng, plan.faults);
    const duration = draw(rng, chosen.durationMs ?? plan.faultDurationMs);
    if (at + duration > windowEnd) break;
    const free = targetsOf(chosen, opts).filter((t) => (busyUntil.get(t) ?? 0) <= at);
    const target = free.length === 0 ? undefined : free[uniformInt(rng, 0, free.length - 1)];
    if (target !== undefined) {
      schedule.push({
        id: schedule.length + 1,
        atMs: scale(at),
        durationMs: scale(duration),
        fault: drawFault(rng, chosen, target.slice(target.indexOf(":") + 1), scale(duration)),
      });
      busyUntil.set(target, at + duration);
      lastEnd = Math.max(lastEnd, at + duration);
    }
    // A gap of at least 1 ms: the loop always moves forward.
    at += Math.max(1, draw(rng, plan.gapMs));
  }
  return schedule;
}

function drawFault(rng: RandomGenerator, c: FaultChoice, target: string, scaledMs: number): Fault {
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

/** Target keys ("link:x" / "node:y") a choice may hit, in a fixed order. */
function targetsOf(c: FaultChoice, opts: ScheduleOptions): string[] {
  if (c.kind === "crash" || c.kind === "pause") {
    return (c.nodes ?? opts.nodes).map((node) => `node:${node}`);
  }
  return (c.links ?? opts.links).map((link) => `link:${link}`);
}

function draw(rng: RandomGenerator, r: Range): number {
  return uniformInt(rng, r.min, r.max);
}

function drawDirection(rng: RandomGenerator, choice: Direction | "either" = "either"): Direction {
  if (choice !== "either") return choice;
  return uniformInt(rng, 0, 1) === 0 ? "upstream" : "downstream";
}

function pickWeighted(rng: RandomGenerator, choices: FaultChoice[]): FaultChoice {
  const total = choices.reduce((sum, c) => sum + c.weight, 0);
  let point = uniformFloat64(rng) * total;
  for (const c of choices) {
    point -= c.weight;
    if (point < 0) return c;
  }
  return choices[choices.length - 1] as FaultChoice;
}

/** The plan's meaning checks (the JSON Schema checks its shape); lists every problem. */
export function checkPlan(plan: NemesisPlan, opts: ScheduleOptions): void {
  const problems: string[] = [];
  const checkRange = (where: string, r: Range) => {
    if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < 0 || r.min > r.max) {
      problems.push(`${where} must have whole numbers 0 <= min <= max, got ${JSON.stringify(r)}`);
    }
  };
  if (!(opts.timeScale > 0)) problems.push(`timeScale must be > 0, got ${opts.timeScale}`);
  if (plan.faults.length === 0) problems.push("faults must list at least one fault kind");
  checkRange("gapMs", plan.gapMs);
  checkRange("faultDurationMs", plan.faultDurationMs);
  plan.faults.forEach((c, i) => {
    const where = `faults[${i}] (${c.kind})`;
    if (!(c.weight > 0)) problems.push(`${where}: weight must be > 0`);
    // Every Range-valued field: durationMs, latencyMs, bytes, ...
    for (const [key, value] of Object.entries(c)) {
      if (typeof value === "object" && value !== null && "min" in value) {
        checkRange(`${where}.${key}`, value as Range);
      }
    }
    const isNodeFault = c.kind === "crash" || c.kind === "pause";
    const known = isNodeFault ? opts.nodes : opts.links;
    const wanted = isNodeFault ? c.nodes : c.links;
    const unknown = (wanted ?? []).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      problems.push(`${where}: unknown ${isNodeFault ? "nodes" : "links"} ${unknown.join(", ")}`);
    }
    if ((wanted ?? known).length === 0) {
      problems.push(`${where}: no ${isNodeFault ? "node" : "link"} to target`);
    }
  });
  if (problems.length > 0) throw new Error(`invalid nemesis plan: ${problems.join("; ")}`);
}
