/** Short human renderings of calls, results and replies for evidence messages. */
import {
  isKvCall,
  type KvCall,
  type LabCall,
  type LabResult,
  type ReplyOutcome,
} from "../protocol/kv-types.ts";

const MAX_SHOWN = 40;

/** A value in quotes, cut short: replies can carry 64 KiB. */
export function quote(s: string): string {
  const shown = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...(${s.length} bytes)` : s;
  return JSON.stringify(shown);
}

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

/** Any lab's call: lab 1's as describeCall says it, lab 2's CONS_* with its slot. */
export function describeLabCall(call: LabCall): string {
  if (isKvCall(call)) return describeCall(call);
  switch (call.proc) {
    case "CONS_NULL":
      return call.proc;
    case "CONS_PROPOSE":
      return `${call.proc} slot ${call.slot} ${quote(call.value)}`;
    case "CONS_DECIDED":
      return `${call.proc} slot ${call.slot}`;
  }
}

export function describeResult(result: LabResult): string {
  switch (result.proc) {
    case "CONS_NULL":
      return "void";
    case "CONS_PROPOSE":
      return "acknowledged";
    case "CONS_DECIDED":
      return result.decided ? `decided ${quote(result.value ?? "")} (base64)` : "not decided";
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

export function describeOutcome(outcome: ReplyOutcome): string {
  switch (outcome.kind) {
    case "success":
      return `SUCCESS ${describeResult(outcome.result)}`;
    case "accepted-error":
      return outcome.mismatch
        ? `${outcome.stat} (${outcome.mismatch.low}, ${outcome.mismatch.high})`
        : outcome.stat;
    case "rpc-mismatch":
      return `RPC_MISMATCH (${outcome.low}, ${outcome.high})`;
    case "auth-error":
      return outcome.stat;
    case "malformed":
      return `a malformed reply (${outcome.reason})`;
  }
}

/** "op 12 (SET /a "x") by c1". */
export function describeOp(op: { id: number; client: string; call: KvCall }): string {
  return `op ${op.id} (${describeCall(op.call)}) by ${op.client}`;
}
