/**
 * Any lab's call as the header fields and arguments of an ONC RPC CALL: lab 1's KV program or
 * lab 2's consensus program, told apart by the procedure name (lab 2's start with CONS_).
 */
import { encodeConsArgs } from "../../labs/consensus/protocol/cons-codec.ts";
import { CONS_PROCS, CONS_PROG, CONS_V1, type ConsProcName } from "../../labs/consensus/protocol/cons-types.ts";
import { encodeKvArgs } from "../../labs/rpc/protocol/kv-codec.ts";
import { isKvCall, KV_PROCS, KV_PROG, KV_V1, type KvProcName, type LabCall } from "../../labs/rpc/protocol/kv-types.ts";

export type LabProcName = KvProcName | ConsProcName;

export function isConsProc(proc: LabProcName): proc is ConsProcName {
  return proc in CONS_PROCS;
}

export function procNumber(proc: LabProcName): number {
  return isConsProc(proc) ? CONS_PROCS[proc] : KV_PROCS[proc];
}

export function encodeLabCall(call: LabCall): {
  prog: number;
  vers: number;
  proc: number;
  args: Buffer;
} {
  if (isKvCall(call))
    return { prog: KV_PROG, vers: KV_V1, proc: KV_PROCS[call.proc], args: encodeKvArgs(call) };
  return {
    prog: CONS_PROG,
    vers: CONS_V1,
    proc: CONS_PROCS[call.proc],
    args: encodeConsArgs(call),
  };
}
