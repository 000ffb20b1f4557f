/**
 * agreement: no two outputs for a slot differ, over the decide lines and CONS_DECIDED TRUE
 * answers of every node, across restarts. Each value that differs from the slot's first
 * output is shown once, next to that first output.
 */

import type { CheckResult, Evidence } from "../../../src/check/types.ts";
import type { Trace } from "../../../src/trace/events.ts";
import { consensusHistory, describeOutput, type Output } from "./history.ts";
import { count, eventList, result } from "./report.ts";
import { showValue } from "./values.ts";

export const AGREEMENT = "agreement";

export function checkAgreement(trace: Trace): CheckResult {
  const { outputs } = consensusHistory(trace);
  const first = new Map<string, Output>();
  /** "slot value" pairs already reported. */
  const reported = new Set<string>();
  const failures: Evidence[] = [];
  const badSlots = new Set<string>();
  for (const o of outputs) {
    const settled = first.get(o.slot);
    if (!settled) {
      first.set(o.slot, o);
      continue;
    }
    if (settled.value === o.value || reported.has(`${o.slot} ${o.value}`)) continue;
    reported.add(`${o.slot} ${o.value}`);
    badSlots.add(o.slot);
    failures.push({
      message: `Slot ${o.slot} has two different outputs: ${describeOutput(settled)} is ${showValue(settled.rawValue)}, but ${describeOutput(o)} is ${showValue(o.rawValue)}.`,
      events: eventList([settled.event, o.event]),
      ...(o.op !== undefined || settled.op !== undefined
        ? { ops: [settled.op, o.op].filter((op) => op !== undefined) }
        : {}),
    });
  }
  if (failures.length > 0) {
    return result(
      AGREEMENT,
      "fail",
      `Nodes disagree on ${count(badSlots.size, "slot")}: different values were output for the same slot.`,
      failures,
    );
  }
  return result(
    AGREEMENT,
    "pass",
    outputs.length === 0
      ? "No decision was output, so no two outputs differ."
      : `All ${count(outputs.length, "output")} agree, over ${count(first.size, "slot")}.`,
  );
}
