/**
 * The history the checkers judge, derived from transmissions (rpc.send / rpc.reply), never
 * from the workload's own op.ok / op.fail / op.info verdicts (contract, "How dslab judges"):
 * - ok: some transmission got an accepted SUCCESS reply (executed exactly once);
 * - fail: every transmission got a definite reply and none was SUCCESS (never executed);
 * - info: anything else (executed at most once).
 */

import type { ProgramCall, ProgramResult } from "../rpc/program.ts";
import type { RpcReplyEvent, RpcSendEvent, Trace } from "../trace/events.ts";

export type OpStatus = "ok" | "fail" | "info";

export interface SuccessReply<Result extends ProgramResult = ProgramResult> {
  event: number;
  t: number;
  result: Result;
}

export interface Transmission {
  event: number;
  send: RpcSendEvent;
}

export interface MatchedReply {
  event: number;
  reply: RpcReplyEvent;
}

export interface CallHistoryOp<
  Call extends ProgramCall = ProgramCall,
  Result extends ProgramResult = ProgramResult,
> {
  id: number;
  client: string;
  call: Call;
  invokeEvent: number;
  invokeT: number;
  status: OpStatus;
  /** Every SUCCESS reply in arrival order; the first one ends an ok op's interval. */
  successes: SuccessReply<Result>[];
  sends: Transmission[];
  replies: MatchedReply[];
  /** Index of the workload's own op.ok / op.fail / op.info, if any (used for timing only). */
  endEvent?: number;
  /** Time of the last event that concerns this op. */
  lastT: number;
}

export interface CallHistory<
  Call extends ProgramCall = ProgramCall,
  Result extends ProgramResult = ProgramResult,
> {
  /** In invoke order. */
  ops: CallHistoryOp<Call, Result>[];
  byId: Map<number, CallHistoryOp<Call, Result>>;
}

const connXid = (conn: number, xid: number): string => `${conn}:${xid}`;

/**
 * The operations of one program in a trace: calls and results that are not the program's (as
 * its guards say) are left out, so a checker sees only data of the shapes it knows.
 */
export function deriveCallHistory<Call extends ProgramCall, Result extends ProgramResult>(
  trace: Trace,
  isCall: (call: ProgramCall) => call is Call,
  isResult: (result: ProgramResult) => result is Result,
): CallHistory<Call, Result> {
  type Op = CallHistoryOp<Call, Result>;
  const ops: Op[] = [];
  const byId = new Map<number, Op>();
  const opByConnXid = new Map<string, Op>();
  trace.events.forEach((e, index) => {
    if (e.type === "op.invoke") {
      if (byId.has(e.op) || !isCall(e.call)) return; // a repeated id would be a harness bug
      const op: Op = {
        id: e.op,
        client: e.client,
        call: e.call,
        invokeEvent: index,
        invokeT: e.t,
        status: "info",
        successes: [],
        sends: [],
        replies: [],
        lastT: e.t,
      };
      ops.push(op);
      byId.set(e.op, op);
    } else if (e.type === "rpc.send" && e.op !== undefined) {
      const op = byId.get(e.op);
      if (!op) return;
      op.sends.push({ event: index, send: e });
      op.lastT = e.t;
      opByConnXid.set(connXid(e.conn, e.xid), op);
    } else if (e.type === "rpc.reply") {
      const op = opByConnXid.get(connXid(e.conn, e.xid));
      if (!op) return;
      op.replies.push({ event: index, reply: e });
      op.lastT = e.t;
      if (e.outcome.kind === "success" && isResult(e.outcome.result)) {
        op.successes.push({ event: index, t: e.t, result: e.outcome.result });
      }
    } else if (e.type === "op.ok" || e.type === "op.fail" || e.type === "op.info") {
      const op = byId.get(e.op);
      if (!op || op.endEvent !== undefined) return;
      op.endEvent = index;
      op.lastT = Math.max(op.lastT, e.t);
    }
  });
  for (const op of ops) op.status = judge(op);
  return { ops, byId };
}

function judge(op: CallHistoryOp): OpStatus {
  if (op.successes.length > 0) return "ok";
  // No transmission at all: nothing proves it was never sent, so it stays indeterminate.
  if (op.sends.length === 0) return "info";
  const pending = new Map<string, number>();
  for (const { send } of op.sends) {
    const k = connXid(send.conn, send.xid);
    pending.set(k, (pending.get(k) ?? 0) + 1);
  }
  for (const { reply } of op.replies) {
    // A malformed reply may have been a garbled SUCCESS: it proves nothing.
    if (reply.outcome.kind === "malformed") continue;
    const k = connXid(reply.conn, reply.xid);
    pending.set(k, (pending.get(k) ?? 0) - 1);
  }
  for (const left of pending.values()) if (left > 0) return "info";
  return "fail";
}

/** The op's first SUCCESS reply, for ok ops. */
export function firstSuccess<Result extends ProgramResult>(
  op: CallHistoryOp<ProgramCall, Result>,
): SuccessReply<Result> | undefined {
  return op.successes[0];
}

/** All trace events about one op, in order: invoke, transmissions, replies. */
export function opEvents(op: CallHistoryOp): number[] {
  return [op.invokeEvent, ...op.sends.map((s) => s.event), ...op.replies.map((r) => r.event)].sort(
    (a, b) => a - b,
  );
}

/** The invoke and the first SUCCESS reply: the two events that bound an ok op. */
export function opBounds(op: CallHistoryOp): number[] {
  const s = firstSuccess(op);
  return s ? [op.invokeEvent, s.event] : [op.invokeEvent];
}
