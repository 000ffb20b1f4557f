/** Lab 1's history: the core's call history (src/check/call-history.ts) of KV calls. */
import {
  type CallHistory,
  type CallHistoryOp,
  type SuccessReply as CoreSuccessReply,
  deriveCallHistory,
} from "../check/call-history.ts";
import type { Trace } from "../trace/events.ts";
import { isKvCall, isKvResult, type KvCall, type KvResult } from "./kv-types.ts";

export {
  firstSuccess,
  type OpStatus,
  opBounds,
  opEvents,
} from "../check/call-history.ts";

export type HistoryOp = CallHistoryOp<KvCall, KvResult>;
export type History = CallHistory<KvCall, KvResult>;
export type SuccessReply = CoreSuccessReply<KvResult>;

export const deriveHistory = (trace: Trace): History =>
  deriveCallHistory(trace, isKvCall, isKvResult);

/** Procedures that never touch the store. */
export function touchesState(call: KvCall): boolean {
  return call.proc !== "NULL" && call.proc !== "BOOT";
}
