/**
 * termination: after the final heal (src/check/final-heal.ts), every call sent or sent again
 * to any node is answered within terminationBoundMs (default 30 s times the time scale) of
 * its first transmission after the heal. Any reply counts (a cached one, SYSTEM_ERR); a call
 * whose deadline falls after the end of the trace is not judged (the run was cut short).
 */
import { countedVerdict } from "../../../src/check/counted-verdict.ts";
import { finalHeal } from "../../../src/check/final-heal.ts";
import { terminationBound } from "../../../src/check/scenario-params.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import { describeOp } from "../../../src/kv/kv-describe.ts";
import type { Trace } from "../../../src/trace/events.ts";
import { nodeList, routedOps } from "./transmissions.ts";

export const TERMINATION = "termination";
const MAX_EVIDENCE = 20;

const unknown = (summary: string): CheckResult => ({
  property: TERMINATION,
  verdict: "unknown",
  summary,
  evidence: [],
});

export function checkTermination(trace: Trace): CheckResult {
  const boundParam = terminationBound(trace);
  if (!boundParam.ok) return unknown(`Cannot judge termination: ${boundParam.why}.`);
  const bound = boundParam.value;
  const from = finalHeal(trace);
  if (typeof from === "string") return unknown(`Cannot judge termination: ${from}.`);
  const endT = trace.events.at(-1)?.t ?? 0;
  const evidence: Evidence[] = [];
  let judged = 0;
  let cutShort = 0;
  for (const { op, sent, replies } of routedOps(trace)) {
    const after = sent.filter((s) => s.t >= from.t);
    const first = after[0];
    if (!first) continue;
    const deadline = first.t + bound;
    if (replies.some((r) => r.t >= first.t && r.t <= deadline)) {
      judged++;
      continue;
    }
    if (deadline > endT) {
      cutShort++;
      continue;
    }
    judged++;
    evidence.push({
      message: `${describeOp(op)} was sent after ${from.what} (to ${nodeList(after)}, ${after.length} time(s)) and got no reply within ${Math.round(bound)} ms.`,
      events: [op.invokeEvent, ...(from.event === undefined ? [] : [from.event]), first.event],
      ops: [op.id],
    });
  }
  if (evidence.length === 0 && cutShort > 0 && judged === 0)
    return unknown(
      `The trace ended before the termination bound of the ${cutShort} call(s) sent after ${from.what}.`,
    );
  return countedVerdict(TERMINATION, judged, evidence.slice(0, MAX_EVIDENCE), {
    fail: `${evidence.length} call(s) sent after ${from.what} got no reply within ${Math.round(bound)} ms: ${evidence[0]?.message ?? ""}`,
    skipped: `No call was sent after ${from.what}.`,
    pass: `All ${judged} call(s) sent after ${from.what} were answered within ${Math.round(bound)} ms.`,
  });
}
