/**
 * availability: during each stable period (stable-periods.ts) of at least stableMs in which a
 * majority M runs connected, every node of M prints and answers TRUE for every slot a node of
 * M acknowledged, within withinMs of the later of the period's start and the (first such)
 * acknowledgement; judged where that deadline falls inside the period.
 *
 * Printing counts at any time up to the deadline. Answers are judged by what dslab asked: a
 * CONS_DECIDED call first sent to a node of M between the deadline and the period's end must
 * not get FALSE (the workload's polling interval never makes a node late).
 */

import { availabilityParams } from "../../../src/check/scenario-params.ts";
import { type StablePeriod, stablePeriods } from "../../../src/check/stable-periods.ts";
import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import type { NodeId, Trace } from "../../../src/trace/events.ts";
import { type ConsensusHistory, consensusHistory } from "./history.ts";
import { type NodeSlot, nodeSlots } from "./node-slots.ts";
import { count, eventList, result } from "./report.ts";

export const AVAILABILITY = "availability";

interface Ack {
  slot: string;
  t: number;
  event: number;
  node: NodeId;
}

/** Each node's first acknowledgement per slot, in time order. */
function acksByNode(h: ConsensusHistory): Map<NodeId, Ack[]> {
  const first = new Map<string, Ack>();
  for (const p of h.proposals) {
    const a = p.answers[0];
    if (!a || p.node === undefined) continue;
    const key = `${p.node} ${p.slot}`;
    const known = first.get(key);
    if (!known || a.event < known.event)
      first.set(key, { slot: p.slot, t: a.t, event: a.event, node: p.node });
  }
  const byNode = new Map<NodeId, Ack[]>();
  for (const ack of first.values()) byNode.set(ack.node, [...(byNode.get(ack.node) ?? []), ack]);
  for (const list of byNode.values()) list.sort((a, b) => a.t - b.t);
  return byNode;
}

/** What a node of M failed to do for one slot by the deadline, or undefined. */
function shortfall(
  node: NodeId,
  ns: NodeSlot | undefined,
  deadline: number,
  periodEnd: number,
): { why: string; events: number[] } | undefined {
  const problems: string[] = [];
  const events: number[] = [];
  if (ns?.printT === undefined) problems.push(`${node} never printed it`);
  else if (ns.printT > deadline) {
    problems.push(`${node} printed it only at ${ns.printT} ms`);
    if (ns.printEvent !== undefined) events.push(ns.printEvent);
  }
  const lateFalse = ns?.calls.find(
    (c) => c.sendT >= deadline && c.sendT <= periodEnd && c.falses.length > 0,
  )?.falses[0];
  if (lateFalse) {
    problems.push(`${node} answered FALSE at ${lateFalse.t} ms`);
    events.push(lateFalse.event);
  }
  return problems.length > 0 ? { why: problems.join(", "), events } : undefined;
}

function judgePeriod(
  period: StablePeriod,
  acks: Map<NodeId, Ack[]>,
  table: Map<string, NodeSlot>,
  withinMs: number,
): { obligations: number; failures: Evidence[] } {
  const earliest = new Map<string, Ack>();
  for (const node of period.members) {
    for (const ack of acks.get(node) ?? []) {
      if (ack.t > period.to) break;
      const known = earliest.get(ack.slot);
      if (!known || ack.t < known.t) earliest.set(ack.slot, ack);
    }
  }
  let obligations = 0;
  const failures: Evidence[] = [];
  for (const ack of earliest.values()) {
    const deadline = Math.max(period.from, ack.t) + withinMs;
    if (deadline > period.to) continue;
    obligations += period.members.length;
    const misses = period.members
      .map((node) => shortfall(node, table.get(`${node} ${ack.slot}`), deadline, period.to))
      .filter((m) => m !== undefined);
    if (misses.length === 0) continue;
    failures.push({
      message: `During the stable period ${period.from}-${period.to} ms of {${period.members.join(", ")}}, slot ${ack.slot} (acknowledged by ${ack.node} at ${ack.t} ms) was not decided by all of them within ${withinMs} ms (deadline ${deadline} ms): ${misses.map((m) => m.why).join("; ")}.`,
      events: eventList([ack.event, ...misses.flatMap((m) => m.events)]),
    });
  }
  return { obligations, failures };
}

export function checkAvailability(trace: Trace): CheckResult {
  const param = availabilityParams(trace);
  if (!param)
    return result(
      AVAILABILITY,
      "skipped",
      "This scenario states no availability parameters (params.availability).",
    );
  if (!param.ok) return result(AVAILABILITY, "unknown", `Cannot judge availability: ${param.why}.`);
  const { stableMs, withinMs } = param.value;
  const h = consensusHistory(trace);
  if (h.nodes.length === 0)
    return result(AVAILABILITY, "unknown", "The trace header lists no nodes.");
  const periods = stablePeriods(trace, h.nodes, param.value, h.endT);
  if (periods.length === 0) {
    return result(
      AVAILABILITY,
      "skipped",
      `No stable period of ${stableMs} ms in which a majority ran with fault-free links among its members and to the client.`,
    );
  }
  const acks = acksByNode(h);
  const table = nodeSlots(h);
  let obligations = 0;
  const failures: Evidence[] = [];
  for (const period of periods) {
    const judged = judgePeriod(period, acks, table, withinMs);
    obligations += judged.obligations;
    failures.push(...judged.failures);
  }
  const where = `${count(periods.length, "stable period")} (largest set {${periods[0]?.members.join(", ")}})`;
  if (failures.length > 0) {
    return result(
      AVAILABILITY,
      "fail",
      `A stable majority did not decide in time: ${count(failures.length, "slot")} missed the ${withinMs} ms limit in ${where}.`,
      failures,
    );
  }
  if (obligations === 0) {
    return result(
      AVAILABILITY,
      "skipped",
      `No slot acknowledged by a majority's node fell due inside ${where}: nothing to judge.`,
    );
  }
  return result(
    AVAILABILITY,
    "pass",
    `In ${where}, every node of the majority decided every acknowledged slot within ${withinMs} ms (${count(obligations, "node-slot obligation")}).`,
  );
}
