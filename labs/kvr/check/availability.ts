/**
 * availability: during each stable period (src/check/stable-periods.ts) of at least stableMs
 * in which a majority M runs, unpaused, with fault-free links among itself and to the clients,
 * every call sent or sent again to a node of M during the period, at least withinMs before it
 * ends, is answered within withinMs of that transmission (its first one in the period). A call
 * already answered is owed nothing more: a late duplicate of it tests at-most-once, and the
 * client may drop its connection before the duplicate's reply (at the end of its run, say).
 * Judged only in scenarios that state params.availability.
 */
import { countedVerdict, skippedResult } from "../../../src/check/counted-verdict.ts";
import { availabilityParams } from "../../../src/check/scenario-params.ts";
import { type StablePeriod, stablePeriods } from "../../../src/check/stable-periods.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import { describeOp } from "../../../src/kv/kv-describe.ts";
import type { Trace } from "../../../src/trace/events.ts";
import { type RoutedOp, routedOps } from "./transmissions.ts";

export const AVAILABILITY = "availability";
const MAX_EVIDENCE = 20;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The first transmission of `r`, still unanswered, to a node of the period's M that the period obliges. */
function obligation(r: RoutedOp, p: StablePeriod, withinMs: number) {
  const members = new Set(p.members);
  const answeredAt = r.replies[0]?.t ?? Number.POSITIVE_INFINITY;
  return r.sent.find(
    (s) =>
      s.node !== undefined &&
      members.has(s.node) &&
      s.t >= p.from &&
      s.t <= p.to - withinMs &&
      s.t < answeredAt,
  );
}

export function checkAvailability(trace: Trace): CheckResult {
  const param = availabilityParams(trace);
  if (param === undefined)
    return skippedResult(AVAILABILITY, "This scenario states no availability bound.");
  if (!param.ok)
    return {
      property: AVAILABILITY,
      verdict: "unknown",
      summary: `Cannot judge availability: ${param.why}.`,
      evidence: [],
    };
  const { withinMs } = param.value;
  const endT = trace.events.at(-1)?.t ?? 0;
  const periods = stablePeriods(trace, trace.header.nodes, param.value, endT);
  const ops = routedOps(trace);
  const evidence: Evidence[] = [];
  let judged = 0;
  for (const p of periods) {
    for (const r of ops) {
      const sent = obligation(r, p, withinMs);
      if (!sent) continue;
      const deadline = sent.t + withinMs;
      judged++;
      if (r.replies.some((x) => x.t >= sent.t && x.t <= deadline)) continue;
      evidence.push({
        message: `${describeOp(r.op)} was sent to ${sent.node} at ${seconds(sent.t)}, while {${p.members.join(", ")}} ran connected and fault-free from ${seconds(p.from)} to ${seconds(p.to)}, and got no reply within ${withinMs} ms.`,
        events: [r.op.invokeEvent, sent.event],
        ops: [r.op.id],
      });
    }
  }
  return countedVerdict(AVAILABILITY, judged, evidence.slice(0, MAX_EVIDENCE), {
    fail: `${evidence.length} call(s) sent to a connected majority went unanswered for over ${withinMs} ms: ${evidence[0]?.message ?? ""}`,
    skipped: `No stable period of at least ${param.value.stableMs} ms had a call sent to its majority.`,
    pass: `Every one of ${judged} call(s) sent to a connected majority during ${periods.length} stable period(s) was answered within ${withinMs} ms.`,
  });
}
