/**
 * Lab 2's consensus program as plain data (labs/consensus/consensus.x). Slots are unsigned
 * hypers, kept as decimal strings; values are opaque bytes, kept as standard base64 (the
 * encoding nodes print in their decide lines), so the trace stays JSON.
 */

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
