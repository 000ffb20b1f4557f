/** Short human renderings of lab 1's calls, results and replies for evidence messages. */
import { describeOutcome as describeReply, quote } from "../rpc/describe-reply.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";
import { isKvResult, type KvCall, type KvResult } from "./kv-types.ts";

export function describeCall(call: KvCall): string {
  switch (call.proc) {
    case "NULL":
    case "BOOT":
      return call.proc;
    case "CREATE":
    case "SET":
      return `${call.proc} ${call.key} ${quote(call.val)}`;
    default:
      return `${call.proc} ${call.key}`;
  }
}

export function describeResult(result: KvResult): string {
  switch (result.proc) {
    case "NULL":
      return "void";
    case "BOOT":
      return `cookie ${result.cookie}`;
    case "GET":
      return result.status === "KV_OK" ? `KV_OK ${quote(result.val ?? "")}` : result.status;
    case "LIST":
      return result.status === "KV_OK"
        ? `KV_OK [${(result.children ?? []).join(", ")}]`
        : result.status;
    default:
      return result.status;
  }
}

/** A reply to a lab 1 call (a result of another program, only a hostile server's, as JSON). */
export function describeOutcome(outcome: ReplyOutcome): string {
  return describeReply(outcome, (result) =>
    isKvResult(result) ? describeResult(result) : JSON.stringify(result),
  );
}

/** "op 12 (SET /a "x") by c1". */
export function describeOp(op: { id: number; client: string; call: KvCall }): string {
  return `op ${op.id} (${describeCall(op.call)}) by ${op.client}`;
}
