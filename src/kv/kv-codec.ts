/**
 * Wire encoding of lab 1's KV program (labs/rpc/kv.x) for the plain-data types in kv-types.ts:
 * call arguments, SUCCESS results, and a decoded reply's outcome.
 */

import type { RpcReply } from "../rpc/message.ts";
import { outcomeOf } from "../rpc/outcome.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";
import { XdrReader, XdrWriter } from "../rpc/xdr.ts";
import {
  KV_STATUSES,
  type KvCall,
  type KvProcName,
  type KvResult,
  type KvStatus,
} from "./kv-types.ts";

/** `string key<512>` in kvpair; other strings (longstring) are unbounded. */
export const KV_MAX_KEY_BYTES = 512;

export function encodeKvArgs(call: KvCall): Buffer {
  const writer = new XdrWriter();
  switch (call.proc) {
    case "NULL":
    case "BOOT":
      break;
    case "CREATE":
    case "SET":
      writer
        .string(call.key, KV_MAX_KEY_BYTES, "kvpair.key")
        .string(call.val, undefined, "kvpair.val");
      break;
    case "REMOVE":
    case "GET":
    case "LIST":
      writer.string(call.key, undefined, "key");
      break;
  }
  return writer.toBuffer();
}

/** Decodes the results of a SUCCESS reply to `proc`; throws, naming the procedure, if malformed. */
export function decodeKvResult(proc: KvProcName, bytes: Uint8Array): KvResult {
  const reader = new XdrReader(bytes);
  try {
    const result = readKvResult(proc, reader);
    reader.end(`KV_${proc} result`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `malformed KV_${proc} result (${bytes.length} bytes, failed at byte ${reader.offset}): ${message}`,
    );
  }
}

function readKvResult(proc: KvProcName, reader: XdrReader): KvResult {
  switch (proc) {
    case "NULL":
      return { proc };
    case "BOOT":
      return { proc, cookie: reader.uhyper("boot cookie").toString() };
    case "CREATE":
    case "SET":
    case "REMOVE":
      return { proc, status: readStatus(reader) };
    case "GET": {
      const status = readStatus(reader);
      return status === "KV_OK"
        ? { proc, status, val: reader.string("get_result.val") }
        : { proc, status };
    }
    case "LIST": {
      const status = readStatus(reader);
      return status === "KV_OK" ? { proc, status, children: readNames(reader) } : { proc, status };
    }
  }
}

function readStatus(reader: XdrReader): KvStatus {
  return reader.enum("kv_status", KV_STATUSES);
}

function readNames(reader: XdrReader): string[] {
  const count = reader.uint("list_result.children count");
  // Each name takes at least 4 bytes; checking first avoids looping on a lying count.
  if (count > reader.remaining / 4) {
    throw new Error(
      `list_result.children: count ${count} cannot fit in the ${reader.remaining} bytes left`,
    );
  }
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(reader.string(`list_result.children[${i}]`));
  return names;
}

/** What a decoded reply to a call of `proc` says, in the contract's terms. */
export function replyOutcome(proc: KvProcName, reply: RpcReply): ReplyOutcome<KvResult> {
  return outcomeOf(reply, (results) => decodeKvResult(proc, results));
}
