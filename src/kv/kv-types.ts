/**
 * Lab 1's key-value program as plain data: what the workload sends, what the trace records and
 * what the checkers model. Wire encoding lives in kv-codec.ts; these types never see bytes.
 */
import {
  hasOptionalString,
  hasString,
  type ProgramCall,
  type ProgramResult,
} from "../rpc/program.ts";

export const KV_PROG = 0x40048086;
export const KV_V1 = 1;

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

/** A trace's call that is lab 1's, with the fields its procedure has. */
export function isKvCall(call: ProgramCall): call is KvCall {
  switch (call.proc) {
    case "NULL":
    case "BOOT":
      return true;
    case "CREATE":
    case "SET":
      return hasString(call, "key") && hasString(call, "val");
    case "REMOVE":
    case "GET":
    case "LIST":
      return hasString(call, "key");
    default:
      return false;
  }
}

const isKvStatus = (status: unknown): boolean =>
  typeof status === "string" && (KV_STATUSES as readonly string[]).includes(status);

/** A trace's SUCCESS result that is lab 1's, with the fields its procedure has. */
export function isKvResult(result: ProgramResult): result is KvResult {
  switch (result.proc) {
    case "NULL":
      return true;
    case "BOOT":
      return hasString(result, "cookie");
    case "CREATE":
    case "SET":
    case "REMOVE":
      return isKvStatus(result.status);
    case "GET":
      return isKvStatus(result.status) && hasOptionalString(result, "val");
    case "LIST":
      return (
        isKvStatus(result.status) &&
        (result.children === undefined ||
          (Array.isArray(result.children) &&
            result.children.every((name) => typeof name === "string")))
      );
    default:
      return false;
  }
}
