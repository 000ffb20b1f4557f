/** Lab 1's key-value program as the core sees it (src/rpc/program.ts). */
import type { RpcProgram } from "../rpc/program.ts";
import { compactValue } from "../trace/compact-values.ts";
import { decodeKvResult, encodeKvArgs } from "./kv-codec.ts";
import { describeCall, describeResult } from "./kv-describe.ts";
import {
  isKvCall,
  isKvResult,
  KV_PROCS,
  KV_PROG,
  KV_V1,
  type KvCall,
  type KvProcName,
  type KvResult,
} from "./kv-types.ts";

export function isKvProc(proc: string): proc is KvProcName {
  return Object.hasOwn(KV_PROCS, proc);
}

export const kvProgram: RpcProgram<KvCall, KvResult> = {
  prog: KV_PROG,
  vers: KV_V1,
  procedures: KV_PROCS,
  isCall: isKvCall,
  isResult: isKvResult,
  encodeArgs: encodeKvArgs,
  decodeResults(proc, results) {
    if (!isKvProc(proc)) throw new Error(`lab 1 has no procedure ${proc}`);
    return decodeKvResult(proc, results);
  },
  describeCall,
  describeResult,
  subject: (call) => ("key" in call ? call.key : ""),
  compactCall: (call) => ("val" in call ? { ...call, val: compactValue(call.val) } : call),
  compactResult: (result) =>
    result.proc === "GET" && result.val !== undefined
      ? { ...result, val: compactValue(result.val) }
      : result,
};

/** How a lab 1 client learns the boot cookie: KV_BOOT. */
export const KV_BOOT_CALL = {
  call: { proc: "BOOT" } as const,
  cookie: (result: KvResult) => (result.proc === "BOOT" ? BigInt(result.cookie) : undefined),
};
