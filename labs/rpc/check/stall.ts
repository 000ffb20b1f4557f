/**
 * stall-isolation: while one connection is stalled (probe "stall", steps "begin" / "end",
 * detail.conn), calls on other connections must still get their first SUCCESS reply within
 * 1000 ms of their invoke (plus params.stallToleranceMs).
 */

import { skippedResult } from "../../../src/check/counted-verdict.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import { describeOp } from "../../../src/kv/kv-describe.ts";
import {
  deriveHistory,
  firstSuccess,
  type HistoryOp,
  opBounds,
} from "../../../src/kv/kv-history.ts";
import type { Trace } from "../../../src/trace/events.ts";

export const STALL_ISOLATION = "stall-isolation";
const LIMIT_MS = 1000;
const MAX_EVIDENCE = 20;

interface Stall {
  conn: number;
  begin: number;
  from: number;
  to: number;
}

function stallsOf(trace: Trace): Stall[] {
  const open = new Map<number, { begin: number; from: number }>();
  const stalls: Stall[] = [];
  trace.events.forEach((e, index) => {
    if (e.type !== "probe" || e.probe !== "stall" || typeof e.detail?.conn !== "number") return;
    const conn = e.detail.conn;
    if (e.step === "begin") open.set(conn, { begin: index, from: e.t });
    else if (e.step === "end") {
      const b = open.get(conn);
      if (b) stalls.push({ conn, ...b, to: e.t });
      open.delete(conn);
    }
  });
  // A stall still open when the trace ends lasted until the end.
  for (const [conn, b] of open) stalls.push({ conn, ...b, to: Number.POSITIVE_INFINITY });
  return stalls;
}

export function checkStallIsolation(trace: Trace): CheckResult {
  const stalls = stallsOf(trace);
  if (stalls.length === 0) {
    return skippedResult(STALL_ISOLATION, "This scenario did not stall a connection.");
  }
  const tolerance = trace.header.params.stallToleranceMs;
  const limit = LIMIT_MS + (typeof tolerance === "number" ? tolerance : 0);
  const traceEnd = trace.events.at(-1)?.t ?? 0;
  const { ops } = deriveHistory(trace);
  const late: Array<{ op: HistoryOp; latency: number; stall: Stall }> = [];
  let slowest: { op: HistoryOp; latency: number } | undefined;
  let judged = 0;
  for (const stall of stalls) {
    for (const op of ops) {
      if (op.invokeT < stall.from || op.invokeT > stall.to) continue;
      if (op.sends.length === 0 || op.sends.some((s) => s.send.conn === stall.conn)) continue;
      const ok = firstSuccess(op);
      // Unanswered and the trace ended before its deadline: cannot tell yet.
      if (!ok && traceEnd < op.invokeT + limit) continue;
      judged++;
      const latency = ok ? ok.t - op.invokeT : Number.POSITIVE_INFINITY;
      if (!slowest || latency > slowest.latency) slowest = { op, latency };
      if (latency > limit) late.push({ op, latency, stall });
    }
  }
  const shown = (ms: number): string =>
    Number.isFinite(ms) ? `${Math.round(ms)} ms` : "no SUCCESS reply";
  if (late.length > 0) {
    late.sort((a, b) => b.latency - a.latency);
    const evidence: Evidence[] = late.slice(0, MAX_EVIDENCE).map(({ op, latency, stall }) => ({
      message: `While conn ${stall.conn} was stalled, ${describeOp(op)} on another connection took ${shown(latency)} (limit ${limit} ms).`,
      events: [stall.begin, ...opBounds(op)].sort((a, b) => a - b),
      ops: [op.id],
    }));
    return {
      property: STALL_ISOLATION,
      verdict: "fail",
      summary: `A stalled connection delayed ${late.length} call${late.length === 1 ? "" : "s"} on other connections past ${limit} ms; the slowest: ${shown(late[0]?.latency ?? 0)}.`,
      evidence,
    };
  }
  if (!slowest) {
    return skippedResult(
      STALL_ISOLATION,
      "A connection was stalled, but no call on another connection ran meanwhile.",
    );
  }
  return {
    property: STALL_ISOLATION,
    verdict: "pass",
    summary: `All ${judged} calls on other connections during the stall were answered within ${limit} ms; the slowest took ${shown(slowest.latency)}.`,
    evidence: [
      {
        message: `Slowest: ${describeOp(slowest.op)}.`,
        events: opBounds(slowest.op),
        ops: [slowest.op.id],
      },
    ],
  };
}
