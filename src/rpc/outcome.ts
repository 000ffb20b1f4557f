/**
 * A decoded reply in the contract's terms, for any program: denied, an accepted error, or a
 * SUCCESS whose results the program's decoder turns into its result (bad results become a
 * "malformed" outcome quoting the bytes, never an exception).
 */
import type { RpcReply } from "./message.ts";
import type { ProgramResult } from "./program.ts";
import type { ReplyOutcome } from "./reply-outcome.ts";

/** How much of a malformed result a ReplyOutcome quotes, so a huge bad reply stays a small event. */
export const MALFORMED_HEX_MAX_BYTES = 256;

function hexPreview(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.subarray(0, MALFORMED_HEX_MAX_BYTES)).toString("hex");
  return bytes.length > MALFORMED_HEX_MAX_BYTES ? `${hex}...` : hex;
}

/** A "malformed" outcome quoting the bad bytes: a record that is no REPLY, or bad SUCCESS results. */
export function malformedOutcome(error: string, record: Uint8Array): ReplyOutcome<never> {
  return { kind: "malformed", reason: error, hex: hexPreview(record) };
}

/** `decodeResults` throws, naming the field, when the SUCCESS results are malformed. */
export function outcomeOf<Result extends ProgramResult>(
  reply: RpcReply,
  decodeResults: (results: Uint8Array) => Result,
): ReplyOutcome<Result> {
  if (reply.replyStat === "MSG_DENIED") {
    const rejected = reply.rejected;
    return rejected.stat === "RPC_MISMATCH"
      ? { kind: "rpc-mismatch", low: rejected.low, high: rejected.high }
      : { kind: "auth-error", stat: rejected.authStat };
  }
  const verifierFlavor = reply.verf.flavor;
  const accepted = reply.accepted;
  switch (accepted.stat) {
    case "SUCCESS":
      try {
        return { kind: "success", result: decodeResults(accepted.results), verifierFlavor };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return malformedOutcome(reason, accepted.results);
      }
    case "PROG_MISMATCH":
      return {
        kind: "accepted-error",
        stat: accepted.stat,
        verifierFlavor,
        mismatch: { low: accepted.low, high: accepted.high },
      };
    default:
      return { kind: "accepted-error", stat: accepted.stat, verifierFlavor };
  }
}
