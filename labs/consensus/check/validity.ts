/**
 * validity: every output is some node's input for its slot. A node's possible inputs are the
 * values proposed to it by calls first sent before dslab received the first acknowledgement
 * (SUCCESS reply) of any proposal to it for that slot: its input was durable by then, and
 * later proposals change nothing. With no acknowledgement, every proposal sent to it counts.
 * An error reply proves nothing was made durable, so only SUCCESS replies close the window.
 */

import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import type { Trace } from "../../../src/trace/events.ts";
import {
  type ConsOp,
  consensusHistory,
  describeOutput,
  firstAck,
  groupBy,
  type Output,
} from "./history.ts";
import { count, eventList, result } from "./report.ts";
import { showValue } from "./values.ts";

export const VALIDITY = "validity";
const CANDIDATES_SHOWN = 5;

interface SlotInputs {
  /** Proposals that may have become some node's input. */
  inputs: ConsOp[];
  /** Proposals sent after their node had acknowledged one for the slot. */
  late: { op: ConsOp; ackEvent: number; ackT: number }[];
}

function inputsBySlot(proposals: readonly ConsOp[]): Map<string, SlotInputs> {
  const bySlot = new Map<string, SlotInputs>();
  for (const group of groupBy(proposals, (p) => `${p.node ?? "?"} ${p.slot}`).values()) {
    const slot = group[0]?.slot ?? "";
    let entry = bySlot.get(slot);
    if (!entry) {
      entry = { inputs: [], late: [] };
      bySlot.set(slot, entry);
    }
    const ack = firstAck(group);
    for (const op of group) {
      if (!op.firstSend) continue;
      if (!ack || op.firstSend.event < ack.event) entry.inputs.push(op);
      else entry.late.push({ op, ackEvent: ack.event, ackT: ack.t });
    }
  }
  return bySlot;
}

const describeProposal = (op: ConsOp): string =>
  `op ${op.id} to ${op.node ?? "an unnamed node"} (${showValue(op.rawValue ?? "")}, sent at ${op.firstSend?.t} ms)`;

function whyInvalid(o: Output, slot: SlotInputs | undefined): Evidence {
  const late = slot?.late.filter((l) => l.op.value === o.value) ?? [];
  const inputs = slot?.inputs ?? [];
  const shown = inputs.slice(0, CANDIDATES_SHOWN);
  const candidates =
    inputs.length === 0
      ? "no proposal for it could be an input"
      : `its possible inputs were ${shown.map(describeProposal).join(", ")}${inputs.length > shown.length ? `, and ${inputs.length - shown.length} more` : ""}`;
  const head = `${describeOutput(o)} is ${showValue(o.rawValue)}, which is no node's input for slot ${o.slot}`;
  const lateOne = late[0];
  const message = lateOne
    ? `${head}: it was proposed only by ${describeProposal(lateOne.op)}, after ${lateOne.op.node} had already acknowledged a proposal for the slot at ${lateOne.ackT} ms, so its input was fixed; ${candidates}.`
    : `${head}: nobody proposed it for that slot; ${candidates}.`;
  return {
    message,
    events: eventList([
      o.event,
      ...shown.map((op) => op.invokeEvent),
      ...(lateOne ? [lateOne.op.firstSend?.event ?? lateOne.op.invokeEvent, lateOne.ackEvent] : []),
    ]),
    ops: [...(o.op === undefined ? [] : [o.op]), ...shown.map((op) => op.id)],
  };
}

export function checkValidity(trace: Trace): CheckResult {
  const { outputs, proposals } = consensusHistory(trace);
  const bySlot = inputsBySlot(proposals);
  const valid = new Map<string, Set<string>>();
  for (const [slot, entry] of bySlot)
    valid.set(slot, new Set(entry.inputs.map((op) => op.value ?? "")));
  const reported = new Set<string>();
  const failures: Evidence[] = [];
  for (const o of outputs) {
    if (valid.get(o.slot)?.has(o.value) || reported.has(`${o.slot} ${o.value}`)) continue;
    reported.add(`${o.slot} ${o.value}`);
    failures.push(whyInvalid(o, bySlot.get(o.slot)));
  }
  if (failures.length > 0) {
    return result(
      VALIDITY,
      "fail",
      `${count(failures.length, "output value")} ${failures.length === 1 ? "was" : "were"} no node's input for the slot.`,
      failures,
    );
  }
  return result(
    VALIDITY,
    "pass",
    outputs.length === 0
      ? "No decision was output, so every output was an input."
      : `Every one of ${count(outputs.length, "output")} is a value some node took as its input.`,
  );
}
