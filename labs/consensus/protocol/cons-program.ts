/** Lab 2's consensus program as the core sees it (src/rpc/program.ts). */
import { quote } from "../../../src/rpc/describe-reply.ts";
import type { RpcProgram } from "../../../src/rpc/program.ts";
import { decodeConsResult, encodeConsArgs } from "./cons-codec.ts";
import {
  CONS_PROCS,
  CONS_PROG,
  CONS_V1,
  type ConsCall,
  type ConsProcName,
  type ConsResult,
  isConsCall,
  isConsResult,
} from "./cons-types.ts";

export function describeConsCall(call: ConsCall): string {
  switch (call.proc) {
    case "CONS_NULL":
      return call.proc;
    case "CONS_PROPOSE":
      return `${call.proc} slot ${call.slot} ${quote(call.value)}`;
    case "CONS_DECIDED":
      return `${call.proc} slot ${call.slot}`;
  }
}

export function describeConsResult(result: ConsResult): string {
  switch (result.proc) {
    case "CONS_NULL":
      return "void";
    case "CONS_PROPOSE":
      return "acknowledged";
    case "CONS_DECIDED":
      return result.decided ? `decided ${quote(result.value ?? "")} (base64)` : "not decided";
  }
}

/** Values are at most 1,024 bytes: calls and results go into the trace as they are. */
export const consProgram: RpcProgram<ConsCall, ConsResult> = {
  prog: CONS_PROG,
  vers: CONS_V1,
  procedures: CONS_PROCS,
  isCall: isConsCall,
  isResult: isConsResult,
  encodeArgs: encodeConsArgs,
  decodeResults(proc, results) {
    if (!Object.hasOwn(CONS_PROCS, proc)) throw new Error(`lab 2 has no procedure ${proc}`);
    return decodeConsResult(proc as ConsProcName, results);
  },
  describeCall: describeConsCall,
  describeResult: describeConsResult,
  subject: (call) => ("slot" in call ? `slot ${call.slot}` : ""),
  compactCall: (call) => call,
  compactResult: (result) => result,
};
