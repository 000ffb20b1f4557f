/**
 * ONC RPC v2 messages (RFC 5531 §9): encoding CALLs and decoding REPLYs (and CALLs, for tests and
 * fake servers). Decoding never throws: a record that is not what was expected becomes an error
 * value that says why, because a grader must record a broken reply, not crash on it.
 */
import type { AcceptError, AuthStat } from "./reply-outcome.ts";
import { XdrReader, XdrWriter } from "./xdr.ts";

export const RPC_VERSION = 2;
export const AUTH_NONE = 0;
export const AUTH_SYS = 1;
/** RFC 5531: opaque_auth bodies are at most 400 bytes. */
export const MAX_AUTH_BYTES = 400;

const MSG_TYPES = ["CALL", "REPLY"] as const;
const REPLY_STATS = ["MSG_ACCEPTED", "MSG_DENIED"] as const;
const ACCEPT_STATS = [
  "SUCCESS",
  "PROG_UNAVAIL",
  "PROG_MISMATCH",
  "PROC_UNAVAIL",
  "GARBAGE_ARGS",
  "SYSTEM_ERR",
] as const;
export type AcceptStat = (typeof ACCEPT_STATS)[number];
const REJECT_STATS = ["RPC_MISMATCH", "AUTH_ERROR"] as const;
/** auth_stat names by wire value (RFC 5531 §9); others are reported as AUTH_STAT_<n>. */
const AUTH_STAT_NAMES: readonly AuthStat[] = [
  "AUTH_STAT_0",
  "AUTH_BADCRED",
  "AUTH_REJECTEDCRED",
  "AUTH_BADVERF",
  "AUTH_REJECTEDVERF",
  "AUTH_TOOWEAK",
  "AUTH_INVALIDRESP",
  "AUTH_FAILED",
];

export interface OpaqueAuth {
  flavor: number;
  body: Uint8Array;
}

export const AUTH_NONE_AUTH: OpaqueAuth = { flavor: AUTH_NONE, body: new Uint8Array(0) };

export interface CallMessage {
  xid: number;
  /** Default 2; probes send others to test RPC_MISMATCH. */
  rpcvers?: number;
  prog: number;
  vers: number;
  proc: number;
  /** Default AUTH_NONE. The body is sent as given, even over 400 bytes (probes test limits). */
  cred?: OpaqueAuth;
  /** Pre-encoded arguments, appended as is. */
  args?: Uint8Array;
}

export interface DecodedCall {
  xid: number;
  rpcvers: number;
  prog: number;
  vers: number;
  proc: number;
  cred: OpaqueAuth;
  verf: OpaqueAuth;
  args: Buffer;
}

export type AcceptedBody =
  | { stat: "SUCCESS"; results: Buffer }
  | { stat: "PROG_MISMATCH"; low: number; high: number }
  | { stat: Exclude<AcceptError, "PROG_MISMATCH"> };

export type RejectedBody =
  | { stat: "RPC_MISMATCH"; low: number; high: number }
  | { stat: "AUTH_ERROR"; authStat: AuthStat };

export type RpcReply =
  | { xid: number; replyStat: "MSG_ACCEPTED"; verf: OpaqueAuth; accepted: AcceptedBody }
  | { xid: number; replyStat: "MSG_DENIED"; rejected: RejectedBody };

/** A decode outcome; `xid` is set on failure when the record was long enough to hold one. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string; xid?: number };

export function encodeCall(call: CallMessage): Buffer {
  const cred = call.cred ?? AUTH_NONE_AUTH;
  const writer = new XdrWriter()
    .uint(call.xid)
    .enum(MSG_TYPES.indexOf("CALL"))
    .uint(call.rpcvers ?? RPC_VERSION)
    .uint(call.prog)
    .uint(call.vers)
    .uint(call.proc)
    .uint(cred.flavor)
    .varOpaque(cred.body)
    .uint(AUTH_NONE_AUTH.flavor)
    .varOpaque(AUTH_NONE_AUTH.body);
  if (call.args !== undefined) writer.raw(call.args);
  return writer.toBuffer();
}

function readAuth(reader: XdrReader, field: string): OpaqueAuth {
  return {
    flavor: reader.uint(`${field}.flavor`),
    body: reader.varOpaque(`${field}.body`, MAX_AUTH_BYTES),
  };
}

/** Reads xid and msg_type, and checks the type is the one wanted. */
function readHeader(reader: XdrReader, want: (typeof MSG_TYPES)[number]): number {
  const xid = reader.uint("xid");
  const type = reader.enum("msg_type", MSG_TYPES);
  if (type !== want) throw new Error(`record is a ${type}, not a ${want} (xid ${xid})`);
  return xid;
}

/** Runs a decoder, turning any error into a value that carries the xid when one was read. */
function decodeSafely<T>(record: Uint8Array, what: string, body: (r: XdrReader) => T): Decoded<T> {
  const reader = new XdrReader(record);
  try {
    return { ok: true, value: body(reader) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failure: Decoded<T> = {
      ok: false,
      error: `undecodable ${what} (${record.length}-byte record, failed at byte ${reader.offset}): ${message}`,
    };
    if (record.length >= 4) failure.xid = Buffer.from(record).readUInt32BE(0);
    return failure;
  }
}

export function decodeCall(record: Uint8Array): Decoded<DecodedCall> {
  return decodeSafely(record, "CALL", (reader) => ({
    xid: readHeader(reader, "CALL"),
    rpcvers: reader.uint("rpcvers"),
    prog: reader.uint("prog"),
    vers: reader.uint("vers"),
    proc: reader.uint("proc"),
    cred: readAuth(reader, "cred"),
    verf: readAuth(reader, "verf"),
    args: reader.rest(),
  }));
}

function authStatName(value: number): AuthStat {
  return AUTH_STAT_NAMES[value] ?? `AUTH_STAT_${value}`;
}

function readAccepted(reader: XdrReader): AcceptedBody {
  const stat = reader.enum("accept_stat", ACCEPT_STATS);
  if (stat === "SUCCESS") return { stat, results: reader.rest() };
  if (stat === "PROG_MISMATCH") {
    return { stat, low: reader.uint("mismatch_info.low"), high: reader.uint("mismatch_info.high") };
  }
  return { stat };
}

function readRejected(reader: XdrReader): RejectedBody {
  const stat = reader.enum("reject_stat", REJECT_STATS);
  if (stat === "RPC_MISMATCH") {
    return { stat, low: reader.uint("mismatch_info.low"), high: reader.uint("mismatch_info.high") };
  }
  return { stat, authStat: authStatName(reader.int("auth_stat")) };
}

/** Decodes a REPLY; SUCCESS results are left as bytes because only the caller knows their type. */
export function decodeReply(record: Uint8Array): Decoded<RpcReply> {
  return decodeSafely(record, "REPLY", (reader): RpcReply => {
    const xid = readHeader(reader, "REPLY");
    const reply: RpcReply =
      reader.enum("reply_stat", REPLY_STATS) === "MSG_ACCEPTED"
        ? {
            xid,
            replyStat: "MSG_ACCEPTED",
            verf: readAuth(reader, "verf"),
            accepted: readAccepted(reader),
          }
        : { xid, replyStat: "MSG_DENIED", rejected: readRejected(reader) };
    reader.end("reply body");
    return reply;
  });
}
