/**
 * The counter as a sequential specification, for the linearizability search: the state is the
 * value; ADD adds and returns the new value, READ returns it.
 */
import type { LinearizabilityModel } from "../../src/check/linearizability/model.ts";
import { type CounterCall, type CounterResult, describeCall, describeResult } from "./protocol.ts";

const int32 = (value: number) => value | 0;

export const counterModel: LinearizabilityModel<number, CounterCall, CounterResult> = {
  init: 0,
  step(value, call, result) {
    const next = call.proc === "ADD" ? int32(value + call.delta) : value;
    if (result === undefined || result.proc === "NULL") return next;
    return result.value === next ? next : undefined;
  },
  hash: (value) => value >>> 0,
  equal: (a, b) => a === b,
  describeOperation: (call, result) =>
    `${describeCall(call)}${result ? ` -> ${describeResult(result)}` : " (no reply)"}`,
  describeState: (value) => `the counter at ${value}`,
};
