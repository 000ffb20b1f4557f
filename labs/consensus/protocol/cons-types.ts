/**
 * Lab 2's consensus program as plain data (labs/consensus/consensus.x). Slots are unsigned
 * hypers, kept as decimal strings; values are opaque bytes, kept as standard base64 (the
 * encoding nodes print in their decide lines), so the trace stays JSON.
 */

import {
  hasOptionalString,
  hasString,
  type ProgramCall,
  type ProgramResult,
} from "../../../src/rpc/program.ts";

export const CONS_PROG = 0x40048087;
export const CONS_V1 = 1;
export const CONS_MAX_VALUE_BYTES = 1024;

export const CONS_PROCS = { CONS_NULL: 0, CONS_PROPOSE: 1, CONS_DECIDED: 2 } as const;
export type ConsProcName = keyof typeof CONS_PROCS;

export type ConsCall =
  | { proc: "CONS_NULL" }
  | { proc: "CONS_PROPOSE"; slot: string; value: string }
  | { proc: "CONS_DECIDED"; slot: string };

export type ConsResult =
  | { proc: "CONS_NULL" }
  | { proc: "CONS_PROPOSE" }
  | { proc: "CONS_DECIDED"; decided: boolean; value?: string };

/** A trace's call that is lab 2's, with the fields its procedure has. */
export function isConsCall(call: ProgramCall): call is ConsCall {
  switch (call.proc) {
    case "CONS_NULL":
      return true;
    case "CONS_PROPOSE":
      return hasString(call, "slot") && hasString(call, "value");
    case "CONS_DECIDED":
      return hasString(call, "slot");
    default:
      return false;
  }
}

/** A trace's SUCCESS result that is lab 2's, with the fields its procedure has. */
export function isConsResult(result: ProgramResult): result is ConsResult {
  switch (result.proc) {
    case "CONS_NULL":
    case "CONS_PROPOSE":
      return true;
    case "CONS_DECIDED":
      return typeof result.decided === "boolean" && hasOptionalString(result, "value");
    default:
      return false;
  }
}
