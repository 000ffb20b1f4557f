/**
 * termination: after the final heal (nemesis.heal; without one, the end of the last fault, or
 * the start of a run without faults), every slot some node acknowledged a proposal for and
 * every slot output anywhere is printed and answered TRUE by all N nodes within
 * terminationBoundMs (default 30 s times the time scale) of the later of the heal and the
 * slot's first acknowledgement or output.
 *
 * Printing counts at any time (before the heal too). Answers are judged by what dslab asked:
 * a node is late when a CONS_DECIDED call first sent after the deadline got FALSE, and
 * missing when it never answered TRUE. A node or slot missing from a trace that ends before
 * the deadline, or a node never asked at all after the heal, is "unknown", not a failure.
 */

import { finalHeal } from "../../../src/check/final-heal.ts";
import { terminationBound } from "../../../src/check/scenario-params.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import type { Trace } from "../../../src/trace/events.ts";
import { type ConsensusHistory, consensusHistory } from "./history.ts";
import { nodeSlots } from "./node-slots.ts";
import { count, eventList, result } from "./report.ts";

export const TERMINATION = "termination";

/** Each required slot with the time it became required and the event that made it so. */
function requiredSlots(h: ConsensusHistory): Map<string, { t: number; event: number }> {
  const slots = new Map<string, { t: number; event: number }>();
  const note = (slot: string, t: number, event: number) => {
    const known = slots.get(slot);
    if (!known || event < known.event) slots.set(slot, { t, event });
  };
  for (const p of h.proposals) {
    const ack = p.answers[0];
    if (ack) note(p.slot, ack.t, ack.event);
  }
  for (const o of h.outputs) note(o.slot, o.t, o.event);
  return slots;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

export function checkTermination(trace: Trace): CheckResult {
  const h = consensusHistory(trace);
  if (h.nodes.length === 0)
    return result(TERMINATION, "unknown", "The trace header lists no nodes.");
  const boundParam = terminationBound(trace);
  if (boundParam && !boundParam.ok)
    return result(TERMINATION, "unknown", `Cannot judge termination: ${boundParam.why}.`);
  const bound = boundParam.value;
  const from = finalHeal(trace);
  if (typeof from === "string")
    return result(TERMINATION, "unknown", `Cannot judge termination: ${from}.`);
  const required = requiredSlots(h);
  if (required.size === 0) {
    return h.proposals.length === 0
      ? result(
          TERMINATION,
          "skipped",
          "The scenario proposed nothing, so there was nothing to decide.",
        )
      : result(
          TERMINATION,
          "unknown",
          "No node acknowledged any proposal and nothing was decided, so termination could not be judged.",
        );
  }
  const table = nodeSlots(h);
  const failures: Evidence[] = [];
  /** Slots not judged: the trace ended before their deadline, or a node was never asked. */
  const cutShort: string[] = [];
  const notAsked: string[] = [];
  const times: number[] = [];
  for (const [slot, since] of required) {
    const start = Math.max(from.t, since.t);
    const deadline = start + bound;
    const problems: string[] = [];
    const events = [since.event, ...(from.event === undefined ? [] : [from.event])];
    let unknown: "cut short" | "not asked" | undefined;
    let doneAt = start;
    for (const node of h.nodes) {
      const ns = table.get(`${node} ${slot}`);
      if (ns?.printT === undefined) {
        if (h.endT < deadline) unknown = "cut short";
        else problems.push(`${node} never printed it`);
      } else if (ns.printT > deadline) {
        problems.push(`${node} printed it only at ${ns.printT} ms`);
        if (ns.printEvent !== undefined) events.push(ns.printEvent);
      }
      const lateFalse = ns?.calls.find((c) => c.sendT >= deadline && c.falses.length > 0)
        ?.falses[0];
      if (lateFalse) {
        problems.push(`${node} still answered FALSE at ${lateFalse.t} ms`);
        events.push(lateFalse.event);
      } else if (ns?.trueT === undefined) {
        const asked = ns?.calls.some((c) => c.sendT >= from.t) ?? false;
        if (h.endT < deadline) unknown = "cut short";
        else if (!asked) unknown ??= "not asked";
        else problems.push(`${node} never answered TRUE`);
      }
      doneAt = Math.max(doneAt, ns?.printT ?? Number.POSITIVE_INFINITY, ns?.trueT ?? start);
    }
    if (problems.length > 0) {
      failures.push({
        message: `Slot ${slot} was not decided by every node within ${bound} ms of ${start === from.t ? from.what : "its first acknowledgement or output"} at ${start} ms (deadline ${deadline} ms): ${problems.join("; ")}.`,
        events: eventList(events),
      });
    } else if (unknown === "cut short") cutShort.push(slot);
    else if (unknown === "not asked") notAsked.push(slot);
    else times.push(doneAt - start);
  }
  const stats =
    times.length > 0
      ? ` Time from ${from.what} to decided everywhere: max ${Math.round(times.reduce((a, b) => Math.max(a, b), 0))} ms, median ${Math.round(median(times))} ms over ${count(times.length, "slot")}.`
      : "";
  if (failures.length > 0) {
    return result(
      TERMINATION,
      "fail",
      `${failures.length} of ${count(required.size, "slot")} ${failures.length === 1 ? "was" : "were"} not decided by all ${h.nodes.length} nodes within ${bound} ms of ${from.what}.${stats}`,
      failures,
    );
  }
  if (cutShort.length + notAsked.length > 0) {
    const slots = (list: string[]) =>
      `${count(list.length, "slot")} (${list.slice(0, 5).join(", ")}${list.length > 5 ? ", ..." : ""})`;
    const why = [
      cutShort.length > 0 ? `the trace ended before the deadline of ${slots(cutShort)}` : "",
      notAsked.length > 0
        ? `dslab never asked some node about ${slots(notAsked)} after ${from.what}`
        : "",
    ].filter((w) => w !== "");
    return result(
      TERMINATION,
      "unknown",
      `Not decided everywhere, but not judged: ${why.join("; ")}.${stats}`,
    );
  }
  return result(
    TERMINATION,
    "pass",
    `${required.size === 1 ? "The only slot was" : `All ${required.size} slots were`} printed and answered TRUE by all ${h.nodes.length} nodes within ${bound} ms of ${from.what}.${stats}`,
  );
}
