/**
 * The story of each violation, for a TA who must see what happened: for every failing
 * property, each piece of evidence with the events the checker named, the transmissions and
 * replies of the ops involved, and the node lifecycle and nemesis events in between, in time
 * order, each with the faults in force at that moment.
 */
import type { CheckResult, Evidence } from "../check/types.ts";
import type { Trace } from "../trace/events.ts";
import type { Correlation } from "./correlate.ts";
import { describeEvent, formatTime } from "./describe-event.ts";
import { describeDisturbances } from "./fault-timeline.ts";

const MAX_VIOLATIONS_SHOWN = 5;
const MAX_EVENTS_PER_VIOLATION = 40;

/** Events that set the scene though no checker named them. */
const CONTEXT_TYPES = new Set([
  "node.start",
  "node.ready",
  "node.failed",
  "node.kill",
  "node.exit",
  "node.pause",
  "node.resume",
  "nemesis.start",
  "nemesis.stop",
  "nemesis.skip",
  "probe",
  "net.repair",
  "harness.error",
]);

export interface StoryInput {
  trace: Trace;
  checks: CheckResult[];
  correlation: Correlation;
  /** Per event index, the faults in force (fault-timeline.ts). */
  faults: string[][];
}

/**
 * The events of one violation by importance (named by the checker, then the traffic of its
 * ops, then the context within its time span), cut to the budget, in trace order.
 */
export function violationEvents(
  input: StoryInput,
  evidence: Evidence,
): { named: Set<number>; shown: number[]; left: number } {
  const { trace, correlation } = input;
  const named = new Set(evidence.events.filter((i) => trace.events[i] !== undefined));
  const ops = new Set(evidence.ops ?? []);
  for (const i of named) {
    const op = correlation.opOf[i];
    if (op !== undefined) ops.add(op);
  }
  const traffic = new Set<number>();
  for (const op of ops) {
    const record = correlation.ops.get(op);
    if (!record) continue;
    for (const i of [record.invoke, ...record.sends, ...record.replies]) traffic.add(i);
  }
  const times = [...named].map((i) => trace.events[i]?.t ?? 0);
  const context: number[] = [];
  if (times.length > 0) {
    const from = Math.min(...times);
    const to = Math.max(...times);
    trace.events.forEach((e, i) => {
      if (CONTEXT_TYPES.has(e.type) && e.t >= from && e.t <= to) context.push(i);
    });
  }
  const ranked = [...new Set([...named, ...traffic, ...context])];
  const shown = ranked.slice(0, MAX_EVENTS_PER_VIOLATION).sort((a, b) => a - b);
  return { named, shown, left: ranked.length - shown.length };
}

function indent(message: string, prefix: string): string {
  return message.split("\n").join(`\n${prefix}`);
}

export function storyLines(input: StoryInput): string[] {
  const { trace, checks, correlation, faults } = input;
  const failing = checks.filter((check) => check.verdict === "fail");
  if (failing.length === 0) return ["no property failed: there is no violation to tell"];
  const lines = [
    "story of each violation (* marks the events the checker named; [...] the faults in force then)",
  ];
  for (const check of failing) {
    lines.push(`${check.property} FAILED: ${indent(check.summary, "  ")}`);
    const told = new Map<string, number>();
    check.evidence.slice(0, MAX_VIOLATIONS_SHOWN).forEach((evidence, k) => {
      lines.push(`  violation ${k + 1}: ${indent(evidence.message, "    ")}`);
      const { named, shown, left } = violationEvents(input, evidence);
      // Several messages about one violation often name the same events: tell them once.
      const key = `${[...named].join(",")}/${shown.join(",")}`;
      const same = told.get(key);
      if (same !== undefined && shown.length > 0) {
        lines.push(`    (the same events as violation ${same})`);
        return;
      }
      told.set(key, k + 1);
      if (shown.length === 0) lines.push("    (the checker named no events for it)");
      for (const i of shown) {
        const { actor, what } = describeEvent(trace, correlation, i);
        const t = trace.events[i]?.t ?? 0;
        lines.push(
          `  ${named.has(i) ? "*" : " "} ${formatTime(t)}  ${actor.padEnd(7)}  ${what}  [${describeDisturbances(faults[i])}]`,
        );
      }
      if (left > 0) lines.push(`    (${left} more related events: narrow with --events --op N)`);
    });
    const more = check.evidence.length - MAX_VIOLATIONS_SHOWN;
    if (more > 0) lines.push(`  (${more} more violations: dslab check --json lists them all)`);
  }
  return lines;
}
