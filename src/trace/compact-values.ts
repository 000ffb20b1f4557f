/**
 * Keeps the trace small when values are large (the memory probe moves 64 KiB values 10,000
 * times): a value longer than LONG_VALUE_CHARS is recorded as a fixed-size stand-in carrying
 * its length and a SHA-256 prefix. Equal values get equal stand-ins, so the checkers, which
 * only compare values, judge the compacted trace exactly as they would the full one.
 */
import { createHash } from "node:crypto";
import type { RpcProgram } from "../rpc/program.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";

export const LONG_VALUE_CHARS = 1024;

export function compactValue(value: string): string {
  if (value.length <= LONG_VALUE_CHARS) return value;
  const digest = createHash("sha256").update(value, "latin1").digest("hex").slice(0, 32);
  return `<${value.length} bytes, sha256 ${digest}>`;
}

/** The outcome with its SUCCESS results compacted by their program. */
export function compactOutcome(outcome: ReplyOutcome, program: RpcProgram): ReplyOutcome {
  return outcome.kind === "success"
    ? { ...outcome, result: program.compactResult(outcome.result) }
    : outcome;
}
