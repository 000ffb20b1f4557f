/**
 * Wire encoding of lab 2's consensus program (labs/consensus/consensus.x) for the plain-data
 * types in cons-types.ts. Slots travel as unsigned hypers, values as opaque<1024>.
 */

import { XdrReader, XdrWriter } from "../../../src/rpc/xdr.ts";
import {
  CONS_MAX_VALUE_BYTES,
  type ConsCall,
  type ConsProcName,
  type ConsResult,
} from "./cons-types.ts";

export function encodeConsArgs(call: ConsCall): Buffer {
  const writer = new XdrWriter();
  switch (call.proc) {
    case "CONS_NULL":
      break;
    case "CONS_PROPOSE":
      writer
        .uhyper(BigInt(call.slot))
        .varOpaque(Buffer.from(call.value, "base64"), CONS_MAX_VALUE_BYTES);
      break;
    case "CONS_DECIDED":
      writer.uhyper(BigInt(call.slot));
      break;
  }
  return writer.toBuffer();
}

/** Decodes the results of a SUCCESS reply to `proc`; throws, naming the field, if malformed. */
export function decodeConsResult(proc: ConsProcName, bytes: Uint8Array): ConsResult {
  const reader = new XdrReader(bytes);
  let result: ConsResult;
  if (proc === "CONS_DECIDED") {
    const decided = reader.bool("decision.decided");
    result = decided
      ? {
          proc,
          decided,
          value: reader.varOpaque("decision.value", CONS_MAX_VALUE_BYTES).toString("base64"),
        }
      : { proc, decided };
  } else {
    result = { proc };
  }
  reader.end(`${proc} result`);
  return result;
}
