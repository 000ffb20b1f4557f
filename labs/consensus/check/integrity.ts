/**
 * integrity, node by node: a node never outputs two different values for a slot (over its
 * incarnations, lines and answers), never prints a slot twice in one incarnation (printing
 * again after a restart is allowed), and never answers FALSE to a CONS_DECIDED call first sent
 * after dslab received a TRUE answer from it for that slot. A retransmission keeps the time of
 * its call's first transmission, so only calls wholly after the TRUE are judged.
 */

import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import type { Trace } from "../../../src/trace/events.ts";
import {
  type ConsensusHistory,
  type ConsOp,
  consensusHistory,
  type DecideLine,
  describeOutput,
  groupBy,
  type Output,
} from "./history.ts";
import { count, eventList, result } from "./report.ts";
import { showValue } from "./values.ts";

export const INTEGRITY = "integrity";

function twoValues(outputs: readonly Output[]): Evidence[] {
  const first = new Map<string, Output>();
  const reported = new Set<string>();
  const failures: Evidence[] = [];
  for (const o of outputs) {
    if (o.node === undefined) continue;
    const key = `${o.node} ${o.slot}`;
    const settled = first.get(key);
    if (!settled) first.set(key, o);
    else if (settled.value !== o.value && !reported.has(`${key} ${o.value}`)) {
      reported.add(`${key} ${o.value}`);
      failures.push({
        message: `${o.node} output two values for slot ${o.slot}: ${describeOutput(settled)} is ${showValue(settled.rawValue)}, ${describeOutput(o)} is ${showValue(o.rawValue)}.`,
        events: eventList([settled.event, o.event]),
      });
    }
  }
  return failures;
}

function printedTwice(lines: readonly DecideLine[]): Evidence[] {
  const failures: Evidence[] = [];
  for (const group of groupBy(lines, (l) => `${l.node} ${l.incarnation} ${l.slot}`).values()) {
    const [a, b] = group;
    if (!a || !b) continue;
    failures.push({
      message: `${a.node} printed a decide line for slot ${a.slot} ${count(group.length, "time")} in one run (incarnation ${a.incarnation}), at ${a.t} ms and ${b.t} ms; print each decision once per run.`,
      events: eventList(group.map((l) => l.event)),
    });
  }
  return failures;
}

function falseAfterTrue(queries: readonly ConsOp[]): Evidence[] {
  const failures: Evidence[] = [];
  for (const group of groupBy(queries, (q) => `${q.node ?? "?"} ${q.slot}`).values()) {
    let firstTrue: { event: number; t: number; op: number } | undefined;
    for (const q of group) {
      for (const a of q.answers) {
        if (
          a.result.proc === "CONS_DECIDED" &&
          a.result.decided &&
          (!firstTrue || a.event < firstTrue.event)
        )
          firstTrue = { event: a.event, t: a.t, op: q.id };
      }
    }
    if (!firstTrue || group[0]?.node === undefined) continue;
    const since = firstTrue;
    for (const q of group) {
      if (!q.firstSend || q.firstSend.event < since.event) continue;
      const no = q.answers.find((a) => a.result.proc === "CONS_DECIDED" && !a.result.decided);
      if (!no) continue;
      failures.push({
        message: `${q.node} answered TRUE for slot ${q.slot} at ${since.t} ms (op ${since.op}), then FALSE at ${no.t} ms to op ${q.id}, sent at ${q.firstSend.t} ms: a decision must never be forgotten.`,
        events: eventList([since.event, q.firstSend.event, no.event]),
        ops: [since.op, q.id],
      });
      break; // one regression per node and slot says it all
    }
  }
  return failures;
}

export function checkIntegrity(trace: Trace): CheckResult {
  const h: ConsensusHistory = consensusHistory(trace);
  const two = twoValues(h.outputs);
  const twice = printedTwice(h.lines);
  const regressions = falseAfterTrue(h.queries);
  const failures = [...two, ...twice, ...regressions];
  if (failures.length > 0) {
    const parts = [
      two.length > 0 ? `${count(two.length, "slot")} with two values on one node` : "",
      twice.length > 0 ? `${count(twice.length, "slot")} printed twice in one run` : "",
      regressions.length > 0 ? `${count(regressions.length, "FALSE answer")} after TRUE` : "",
    ].filter((p) => p !== "");
    // Interleave kinds so capped evidence still shows each kind of violation.
    const shown = [two, twice, regressions].flatMap((list) => list.slice(0, 7));
    return result(INTEGRITY, "fail", `Integrity is broken: ${parts.join("; ")}.`, shown);
  }
  return result(
    INTEGRITY,
    "pass",
    `Each node output one value per slot, printed each slot at most once per run and never answered FALSE after TRUE (${count(h.lines.length, "decide line")}).`,
  );
}
