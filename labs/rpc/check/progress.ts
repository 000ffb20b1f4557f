/**
 * progress: on a clean network, calls succeed. Judged for AUTH_AMO calls with the current
 * cookie that ran entirely inside a clean period (header.params.cleanPeriods: [fromMs, toMs]
 * pairs, and/or cleanFromMs: clean from then to the end) while no nemesis fault was active
 * and the node was ready; after the final heal of a run with faults, well-formed AUTH_NONE
 * calls too (the final reads: the calm phase in which a server that stopped answering shows);
 * with params.expectAllOk, every call. A node that never became ready (node.failed) fails
 * progress outright.
 */

import { skippedResult } from "../../../src/check/counted-verdict.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import { describeOp, describeOutcome } from "../../../src/kv/kv-describe.ts";
import {
  deriveHistory,
  firstSuccess,
  type HistoryOp,
  opEvents,
} from "../../../src/kv/kv-history.ts";
import { disturbedSpans, overlaps, type Span } from "../../../src/kv/wire/calm.ts";
import { classifyCredential, followCookies } from "../../../src/kv/wire/credentials.ts";
import type { Trace } from "../../../src/trace/events.ts";

export const PROGRESS = "progress";
const MAX_EVIDENCE = 20;
const LOG_LINES_SHOWN = 10;

/** Clean periods from the header; malformed entries are ignored rather than guessed at. */
export function cleanPeriods(params: Record<string, unknown>): Span[] {
  const spans: Span[] = [];
  if (Array.isArray(params.cleanPeriods)) {
    for (const p of params.cleanPeriods) {
      if (Array.isArray(p) && typeof p[0] === "number" && typeof p[1] === "number")
        spans.push([p[0], p[1]]);
    }
  }
  if (typeof params.cleanFromMs === "number")
    spans.push([params.cleanFromMs, Number.POSITIVE_INFINITY]);
  return spans;
}

/** When the final heal ended a run's faults (nemesis.heal after a nemesis.start), if it did. */
function healedAfterFaults(trace: Trace): number | undefined {
  let faulted = false;
  let healedAt: number | undefined;
  for (const e of trace.events) {
    if (e.type === "nemesis.start") faulted = true;
    else if (e.type === "nemesis.heal" && faulted) healedAt = e.t;
  }
  return healedAt;
}

/** Why an op that is not ok ended that way, for the message. */
function howItEnded(op: HistoryOp): string {
  const last = op.replies.at(-1);
  if (last) return `its last reply was ${describeOutcome(last.reply.outcome)}`;
  return op.sends.length === 0 ? "it was never sent" : "it got no reply";
}

export function checkProgress(trace: Trace): CheckResult {
  const failures: Evidence[] = nodeFailures(trace);
  const clean = cleanPeriods(trace.header.params);
  const expectAllOk = trace.header.params.expectAllOk === true;
  if (failures.length === 0 && clean.length === 0 && !expectAllOk) {
    return skippedResult(
      PROGRESS,
      "This scenario has no clean period in which calls must succeed.",
    );
  }
  const { ops } = deriveHistory(trace);
  const last = trace.events.at(-1);
  const completed = last?.type === "end" && last.status === "completed";
  const traceEnd = last?.t ?? 0;
  const disturbed = disturbedSpans(trace);
  const cookies = followCookies(trace);
  const healedAt = healedAfterFaults(trace);
  let judged = 0;
  for (const op of ops) {
    const ok = firstSuccess(op);
    // An op still open when an interrupted run stopped may yet have succeeded.
    const settled =
      ok !== undefined || op.endEvent !== undefined || op.status === "fail" || completed;
    if (!settled) continue;
    const span: Span = [
      op.invokeT,
      ok?.t ?? (op.endEvent !== undefined || op.status === "fail" ? op.lastT : traceEnd),
    ];
    const first = op.sends[0];
    const amoCurrent = first !== undefined && cookies.statusAtSend.get(first.event) === "current";
    // No cookie can make these stale: once healed, a server must answer them.
    const healedRead =
      healedAt !== undefined &&
      op.invokeT >= healedAt &&
      first !== undefined &&
      first.send.deviation === undefined &&
      classifyCredential(first.send.cred).kind === "none";
    const inClean =
      (amoCurrent || healedRead) &&
      clean.some((c) => c[0] <= span[0] && span[1] <= c[1]) &&
      !disturbed.some((d) => overlaps(d, span));
    if (!inClean && !expectAllOk) continue;
    judged++;
    if (ok) continue;
    const why = !inClean
      ? "and this scenario expects every call to succeed"
      : amoCurrent
        ? "on a clean network with the current cookie"
        : "on a calm network after the final heal";
    failures.push({
      message: `${describeOp(op)} did not succeed ${why}: ${howItEnded(op)}.`,
      events: opEvents(op),
      ops: [op.id],
    });
  }
  if (failures.length > 0) {
    return {
      property: PROGRESS,
      verdict: "fail",
      summary: `${failures.length} call${failures.length === 1 ? "" : "s"} made no progress where they had to: ${failures[0]?.message}`,
      evidence: failures.slice(0, MAX_EVIDENCE),
    };
  }
  if (judged === 0) {
    return skippedResult(
      PROGRESS,
      "No call ran entirely inside a clean period, so progress was not exercised.",
    );
  }
  return {
    property: PROGRESS,
    verdict: "pass",
    summary: `All ${judged} calls that had to succeed did.`,
    evidence: [],
  };
}

/** node.failed: the node never became ready; show its reason and last log lines. */
function nodeFailures(trace: Trace): Evidence[] {
  const found: Evidence[] = [];
  trace.events.forEach((e, index) => {
    if (e.type !== "node.failed") return;
    const logs: number[] = [];
    for (let i = index - 1; i >= 0 && logs.length < LOG_LINES_SHOWN; i--) {
      const l = trace.events[i];
      if (l?.type === "node.log" && l.node === e.node) logs.unshift(i);
    }
    const tail = logs.map((i) => {
      const l = trace.events[i];
      return l?.type === "node.log" ? l.line : "";
    });
    found.push({
      message: `Node ${e.node} (incarnation ${e.incarnation}) never became ready: ${e.reason.replace(/\.$/, "")}.${tail.length > 0 ? ` Its last log lines: ${tail.join(" | ")}` : " It logged nothing."}`,
      events: [...logs, index],
    });
  });
  return found;
}
