/**
 * Lab 1's store as a model for the linearizability search: an operation's input is its call,
 * its output what its SUCCESS reply allows (a test on the model's result: LIST "/" is compared
 * only on the names a partition models). Partitions are made by at-most-once itself, which
 * knows how LIST "/" couples top-level names.
 */

import type { LinearizabilityModel } from "../check/linearizability/model.ts";
import { quote } from "../rpc/describe-reply.ts";
import { describeCall } from "./kv-describe.ts";
import { applyCall, compareBytes, EMPTY_STATE, type KvState, sameState } from "./kv-model.ts";
import type { KvCall, KvResult } from "./kv-types.ts";

/** Whether the model's result is the one the server replied. */
export type AcceptsResult = (modelResult: KvResult) => boolean;

export const kvLinearizabilityModel: LinearizabilityModel<KvState, KvCall, AcceptsResult> = {
  init: EMPTY_STATE,
  step(state, call, accepts) {
    const step = applyCall(state, call);
    return accepts === undefined || accepts(step.result) ? step.state : undefined;
  },
  hash: (state) => state.hash,
  equal: sameState,
  describeOperation: (call) => describeCall(call),
  describeState(state) {
    const shown = [...state.entries.entries()]
      .sort(([a], [b]) => compareBytes(a, b))
      .slice(0, 6)
      .map(([k, v]) => `${k}=${quote(v)}`);
    if (shown.length === 0) return "no keys";
    const more = state.entries.size - shown.length;
    return `{${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}}`;
  },
};
