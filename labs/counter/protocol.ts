/**
 * The example lab's program (counter.x): its calls and results as the trace records them, their
 * wire encoding, and how they read.
 */
import type { ProgramCall, ProgramResult, RpcProgram } from "../../src/rpc/program.ts";
import { XdrReader, XdrWriter } from "../../src/rpc/xdr.ts";

export type CounterCall = { proc: "NULL" } | { proc: "ADD"; delta: number } | { proc: "READ" };
export type CounterResult = { proc: "NULL" } | { proc: "ADD" | "READ"; value: number };

const PROCEDURES = { NULL: 0, ADD: 1, READ: 2 } as const;

export function isCounterCall(call: ProgramCall): call is CounterCall {
  if (call.proc === "ADD") return Number.isInteger(call.delta);
  return call.proc === "NULL" || call.proc === "READ";
}

export function isCounterResult(result: ProgramResult): result is CounterResult {
  if (result.proc === "ADD" || result.proc === "READ") return Number.isInteger(result.value);
  return result.proc === "NULL";
}

export const describeCall = (call: CounterCall): string =>
  call.proc === "ADD" ? `ADD ${call.delta}` : call.proc;

export const describeResult = (result: CounterResult): string =>
  result.proc === "NULL" ? "(void)" : `value ${result.value}`;

export const counterProgram: RpcProgram<CounterCall, CounterResult> = {
  prog: 0x40048088,
  vers: 1,
  procedures: PROCEDURES,
  isCall: isCounterCall,
  isResult: isCounterResult,
  encodeArgs: (call) =>
    call.proc === "ADD" ? new XdrWriter().int(call.delta).toBuffer() : Buffer.alloc(0),
  decodeResults(proc, bytes) {
    const reader = new XdrReader(bytes);
    let result: CounterResult;
    if (proc === "NULL") result = { proc };
    else if (proc === "ADD" || proc === "READ") result = { proc, value: reader.int("value") };
    else throw new Error(`the counter program has no procedure ${proc}`);
    reader.end(`COUNTER_${proc} result`);
    return result;
  },
  describeCall,
  describeResult,
  subject: () => "",
  compactCall: (call) => call,
  compactResult: (result) => result,
};
