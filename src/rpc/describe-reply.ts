/** Short human renderings of replies and values, for evidence, stories and the viewer. */
import type { ProgramResult } from "./program.ts";
import type { ReplyOutcome } from "./reply-outcome.ts";

const MAX_SHOWN = 40;

/** A value in quotes, cut short: replies can carry 64 KiB. */
export function quote(s: string): string {
  const shown = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...(${s.length} bytes)` : s;
  return JSON.stringify(shown);
}

/** A reply as the contract names it; SUCCESS results in the words of their program. */
export function describeOutcome<Result extends ProgramResult>(
  outcome: ReplyOutcome<Result>,
  describeResult: (result: Result) => string,
): string {
  switch (outcome.kind) {
    case "success":
      return `SUCCESS ${describeResult(outcome.result)}`;
    case "accepted-error":
      if (outcome.mismatch) {
        return `${outcome.stat} (${outcome.mismatch.low}, ${outcome.mismatch.high})`;
      }
      // A starter kit's TODO answers so: say what it means to the student who reads it first.
      return outcome.stat === "PROC_UNAVAIL"
        ? "PROC_UNAVAIL (the server does not implement that procedure)"
        : outcome.stat;
    case "rpc-mismatch":
      return `RPC_MISMATCH (${outcome.low}, ${outcome.high})`;
    case "auth-error":
      return outcome.stat;
    case "malformed":
      return `a malformed reply (${outcome.reason})`;
  }
}
