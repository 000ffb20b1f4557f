/**
 * What the core knows of a lab's RPC program: its numbers, how its calls and results cross the
 * wire, and how they read. The trace records calls and results as plain objects named by their
 * procedure; only the lab that defines a program looks inside them.
 */

/** A call as the workload makes it and the trace records it: its procedure's name, its arguments. */
export interface ProgramCall {
  readonly proc: string;
  readonly [argument: string]: unknown;
}

/** A decoded SUCCESS result, named by the procedure it answers. */
export interface ProgramResult {
  readonly proc: string;
  readonly [field: string]: unknown;
}

/**
 * A program typed by its own calls and results. The core holds programs as RpcProgram (the
 * defaults) and hands each only calls it made and results it decoded: its methods are declared
 * as methods, so a lab's precisely typed program is one of those.
 */
export interface RpcProgram<
  Call extends ProgramCall = ProgramCall,
  Result extends ProgramResult = ProgramResult,
> {
  readonly prog: number;
  readonly vers: number;
  /** Procedure numbers by name. */
  readonly procedures: Readonly<Record<string, number>>;
  /**
   * Whether a call read from a trace is one of this program's, fields and their types: traces
   * come from anywhere (an old dslab, a hostile file), and the describers and checkers see only
   * calls that pass (the trace schema knows only that a call names its procedure).
   */
  isCall(call: ProgramCall): call is Call;
  isResult(result: ProgramResult): result is Result;
  encodeArgs(call: Call): Buffer;
  /** The SUCCESS results of a call of `proc`; throws, naming the field, when malformed. */
  decodeResults(proc: string, results: Uint8Array): Result;
  describeCall(call: Call): string;
  describeResult(result: Result): string;
  /** What a call is about, for filters and the diagram (a key, a slot); "" for nothing. */
  subject(call: Call): string;
  /** The call and result with long values replaced by stand-ins (compactValue), for the trace. */
  compactCall(call: Call): Call;
  compactResult(result: Result): Result;
}

/** The procedure number of `call` in `program`. */
export function procedureNumber(
  program: Pick<RpcProgram, "prog" | "procedures">,
  proc: string,
): number {
  const number = Object.hasOwn(program.procedures, proc) ? program.procedures[proc] : undefined;
  if (number === undefined) throw new Error(`program ${program.prog} has no procedure ${proc}`);
  return number;
}

/** The header fields and arguments of a CALL of `call` to `program`. */
export function encodeProgramCall<Call extends ProgramCall>(
  program: RpcProgram<Call, ProgramResult>,
  call: Call,
): { prog: number; vers: number; proc: number; args: Buffer } {
  return {
    prog: program.prog,
    vers: program.vers,
    proc: procedureNumber(program, call.proc),
    args: program.encodeArgs(call),
  };
}

/** Whether `record[field]` is a string (the guards' building block). */
export const hasString = (record: Readonly<Record<string, unknown>>, field: string): boolean =>
  typeof record[field] === "string";

/** Whether `record[field]` is absent or a string. */
export const hasOptionalString = (
  record: Readonly<Record<string, unknown>>,
  field: string,
): boolean => record[field] === undefined || typeof record[field] === "string";
