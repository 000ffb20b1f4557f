/**
 * Lab 1's key-value program as plain data: what the workload sends, what the trace records and
 * what the checkers model. Wire encoding lives in kv-codec.ts; these types never see bytes.
 */

import type { ConsCall, ConsResult } from "../../consensus/protocol/cons-types.ts";

export const KV_PROG = 0x40048086;
export const KV_V1 = 1;
export const AUTH_AMO = 0x4004;

export const KV_PROCS = {
  NULL: 0,
  CREATE: 1,
  REMOVE: 2,
  SET: 3,
  GET: 4,
  LIST: 5,
  BOOT: 6,
} as const;
export type KvProcName = keyof typeof KV_PROCS;

export const KV_STATUSES = [
  "KV_OK",
  "KV_KEY_NOT_FOUND",
  "KV_NO_PARENT",
  "KV_HAS_CHILDREN",
  "KV_MALFORMED_KEY",
  "KV_KEY_EXISTS",
] as const;
export type KvStatus = (typeof KV_STATUSES)[number];

export type KvCall =
  | { proc: "NULL" }
  | { proc: "BOOT" }
  | { proc: "CREATE"; key: string; val: string }
  | { proc: "SET"; key: string; val: string }
  | { proc: "REMOVE"; key: string }
  | { proc: "GET"; key: string }
  | { proc: "LIST"; key: string };

/** A decoded SUCCESS result; which variant depends on the procedure called. */
export type KvResult =
  | { proc: "NULL" }
  | { proc: "BOOT"; cookie: string } // unsigned hyper as a decimal string
  | { proc: "CREATE" | "SET" | "REMOVE"; status: KvStatus }
  | { proc: "GET"; status: KvStatus; val?: string }
  | { proc: "LIST"; status: KvStatus; children?: string[] };

export type AcceptError =
  | "PROG_UNAVAIL"
  | "PROG_MISMATCH"
  | "PROC_UNAVAIL"
  | "GARBAGE_ARGS"
  | "SYSTEM_ERR";

export type AuthStat =
  | "AUTH_BADCRED"
  | "AUTH_REJECTEDCRED"
  | "AUTH_BADVERF"
  | "AUTH_REJECTEDVERF"
  | "AUTH_TOOWEAK"
  | "AUTH_INVALIDRESP"
  | "AUTH_FAILED"
  | `AUTH_STAT_${number}`;

/** Any lab's call and result, as operations and replies record them. */
export type LabCall = KvCall | ConsCall;
export type LabResult = KvResult | ConsResult;

/** What one reply said, decoded as far as the contract allows. */
export type ReplyOutcome =
  | { kind: "success"; result: LabResult; verifierFlavor: number }
  | {
      kind: "accepted-error";
      stat: AcceptError;
      verifierFlavor: number;
      mismatch?: { low: number; high: number };
    }
  | { kind: "rpc-mismatch"; low: number; high: number }
  | { kind: "auth-error"; stat: AuthStat }
  /** The bytes were a reply but not one the contract allows (bad result body, unknown stat). */
  | { kind: "malformed"; reason: string; hex: string };

/** Lab 1's calls and results among any lab's (lab 2's procedure names all start CONS_). */
export function isKvCall(call: LabCall): call is KvCall {
  return Object.hasOwn(KV_PROCS, call.proc);
}

export function isKvResult(result: LabResult): result is KvResult {
  return Object.hasOwn(KV_PROCS, result.proc);
}
