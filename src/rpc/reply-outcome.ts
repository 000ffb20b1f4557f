/** What one reply said, in ONC RPC's terms (RFC 5531), whatever the program. */
import type { ProgramResult } from "./program.ts";

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

/** A reply decoded as far as the contract allows; `Result` is the program's SUCCESS results. */
export type ReplyOutcome<Result extends ProgramResult = ProgramResult> =
  | { kind: "success"; result: Result; verifierFlavor: number }
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
