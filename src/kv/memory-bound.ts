/**
 * memory-bound: between probe "memory" steps "baseline" and "end" (detail.node), the node's
 * resident memory (the last node.memory sample at or before each step) grows by less than
 * 64 MiB.
 */

import { skippedResult } from "../check/counted-verdict.ts";
import type { CheckResult, Evidence } from "../check/types.ts";
import type { Trace } from "../trace/events.ts";

export const MEMORY_BOUND = "memory-bound";
const LIMIT_KIB = 64 * 1024;

/** Index of the node's last memory sample at or before event `at`. */
function sampleBefore(trace: Trace, node: string, at: number): number | undefined {
  for (let i = at; i >= 0; i--) {
    const e = trace.events[i];
    if (e?.type === "node.memory" && e.node === node) return i;
  }
  return undefined;
}

const rss = (trace: Trace, i: number): number => {
  const e = trace.events[i];
  return e?.type === "node.memory" ? e.rssKiB : 0;
};

export function checkMemoryBound(trace: Trace): CheckResult {
  const failures: Evidence[] = [];
  const undecided: Evidence[] = [];
  const passes: Evidence[] = [];
  const baselines = new Map<string, number>();
  let exercised = false;
  trace.events.forEach((e, index) => {
    if (e.type !== "probe" || e.probe !== "memory") return;
    exercised = true;
    const node =
      typeof e.detail?.node === "string" ? e.detail.node : (trace.header.nodes[0] ?? "n1");
    if (e.step === "baseline") baselines.set(node, index);
    if (e.step !== "end") return;
    const base = baselines.get(node);
    baselines.delete(node);
    const from = base === undefined ? undefined : sampleBefore(trace, node, base);
    const to = sampleBefore(trace, node, index);
    if (base === undefined || from === undefined || to === undefined) {
      const missing = base === undefined ? "no baseline step" : "no memory sample before a step";
      undecided.push({
        message: `Memory growth of ${node} cannot be measured: ${missing}.`,
        events: base === undefined ? [index] : [base, index],
      });
      return;
    }
    const growth = rss(trace, to) - rss(trace, from);
    const message = `Resident memory of ${node} went from ${rss(trace, from)} KiB to ${rss(trace, to)} KiB (growth ${growth} KiB, limit ${LIMIT_KIB} KiB).`;
    (growth < LIMIT_KIB ? passes : failures).push({ message, events: [from, base, to, index] });
  });
  for (const [node, base] of baselines) {
    undecided.push({
      message: `The memory probe on ${node} never reached its end step (interrupted run?).`,
      events: [base],
    });
  }
  if (!exercised) {
    return skippedResult(MEMORY_BOUND, "This scenario did not measure memory.");
  }
  if (failures.length > 0) {
    return {
      property: MEMORY_BOUND,
      verdict: "fail",
      summary: `The server's memory grew by 64 MiB or more: ${failures[0]?.message}`,
      evidence: failures,
    };
  }
  if (undecided.length > 0) {
    return {
      property: MEMORY_BOUND,
      verdict: "unknown",
      summary: undecided[0]?.message ?? "Memory growth could not be measured.",
      evidence: undecided,
    };
  }
  return {
    property: MEMORY_BOUND,
    verdict: "pass",
    summary: `Memory stayed within bounds: ${passes[0]?.message ?? ""}`,
    evidence: passes,
  };
}
