import { describe, expect, it } from "vitest";
import { decodeKvResult, encodeKvArgs, replyOutcome } from "../src/kv/kv-codec.ts";
import { KV_PROCS, KV_PROG, KV_V1, type KvCall, type KvResult } from "../src/kv/kv-types.ts";
import { encodeAmoCred } from "../src/rpc/amo-credential.ts";
import { decodeReply, encodeCall, type RpcReply } from "../src/rpc/message.ts";
import { malformedOutcome } from "../src/rpc/outcome.ts";
import { encodeRecord } from "../src/rpc/record.ts";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

function reply(bytes: string): RpcReply {
  const decoded = decodeReply(hex(bytes));
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value;
}

/** xid 1, REPLY, MSG_ACCEPTED, verifier AUTH_NONE, SUCCESS */
const SUCCESS = "00000001 00000001 00000000 00000000 00000000 00000000";

describe("encodeKvArgs", () => {
  it.each<[KvCall, string]>([
    [{ proc: "NULL" }, ""],
    [{ proc: "BOOT" }, ""],
    [{ proc: "CREATE", key: "/a", val: "hi" }, "00000002 2f610000 00000002 68690000"],
    [{ proc: "SET", key: "/abcd", val: "" }, "00000005 2f616263 64000000 00000000"],
    [{ proc: "REMOVE", key: "/x" }, "00000002 2f780000"],
    [{ proc: "GET", key: "/" }, "00000001 2f000000"],
    [{ proc: "LIST", key: "/abc" }, "00000004 2f616263"],
  ])("encodes %j", (call, bytes) => {
    expect(encodeKvArgs(call)).toEqual(hex(bytes));
  });

  it("bounds kvpair keys at 512 bytes but not longstring keys", () => {
    const key = `/${"k".repeat(512)}`;
    expect(() => encodeKvArgs({ proc: "CREATE", key, val: "" })).toThrow(
      /kvpair.key: 513 bytes exceed the maximum 512/,
    );
    expect(encodeKvArgs({ proc: "GET", key }).readUInt32BE(0)).toBe(513);
  });
});

describe("decodeKvResult", () => {
  it.each<[string, string, KvResult]>([
    ["NULL", "", { proc: "NULL" }],
    ["BOOT", "01020304 05060708", { proc: "BOOT", cookie: "72623859790382856" }],
    ["BOOT", "ffffffff ffffffff", { proc: "BOOT", cookie: "18446744073709551615" }],
    ["CREATE", "00000000", { proc: "CREATE", status: "KV_OK" }],
    ["CREATE", "00000005", { proc: "CREATE", status: "KV_KEY_EXISTS" }],
    ["SET", "00000001", { proc: "SET", status: "KV_KEY_NOT_FOUND" }],
    ["REMOVE", "00000003", { proc: "REMOVE", status: "KV_HAS_CHILDREN" }],
    ["GET", "00000000 00000003 61626300", { proc: "GET", status: "KV_OK", val: "abc" }],
    ["GET", "00000000 00000000", { proc: "GET", status: "KV_OK", val: "" }],
    ["GET", "00000001", { proc: "GET", status: "KV_KEY_NOT_FOUND" }],
    ["LIST", "00000000 00000000", { proc: "LIST", status: "KV_OK", children: [] }],
    [
      "LIST",
      "00000000 00000002 00000001 61000000 00000004 62636465",
      { proc: "LIST", status: "KV_OK", children: ["a", "bcde"] },
    ],
    ["LIST", "00000004", { proc: "LIST", status: "KV_MALFORMED_KEY" }],
    ["LIST", "00000002", { proc: "LIST", status: "KV_NO_PARENT" }],
  ])("decodes %s result %s", (proc, bytes, result) => {
    expect(decodeKvResult(proc as keyof typeof KV_PROCS, hex(bytes))).toEqual(result);
  });

  it.each([
    ["NULL", "00000000", /malformed KV_NULL result \(4 bytes.*4 trailing/],
    ["BOOT", "00000001", /KV_BOOT.*boot cookie: incomplete/],
    ["CREATE", "00000006", /kv_status: unknown enum value 6/],
    ["CREATE", "00000000 00000000", /trailing/],
    ["GET", "00000000", /get_result.val: incomplete/],
    ["GET", "00000001 00000000", /trailing/],
    ["GET", "00000000 00000001 61000100", /padding/],
    ["LIST", "00000000 ffffffff 00000000", /count 4294967295 cannot fit in the 4 bytes left/],
    ["LIST", "00000000 00000002 00000001 61000000", /children\[1\]: incomplete/],
  ])("rejects a malformed %s result %s", (proc, bytes, error) => {
    expect(() => decodeKvResult(proc as keyof typeof KV_PROCS, hex(bytes))).toThrow(error);
  });
});

describe("encodeAmoCred", () => {
  it("is exactly 20 bytes: client_id, boot_cookie, acked_xid", () => {
    const cred = encodeAmoCred({
      clientId: 0x1122334455667788n,
      cookie: 2n ** 64n - 1n,
      ackedXid: 9,
    });
    expect(cred.toString("hex")).toBe("1122334455667788ffffffffffffffff00000009");
  });
});

describe("replyOutcome", () => {
  it("maps SUCCESS with good results", () => {
    expect(replyOutcome("GET", reply(`${SUCCESS} 00000001`))).toEqual({
      kind: "success",
      result: { proc: "GET", status: "KV_KEY_NOT_FOUND" },
      verifierFlavor: 0,
    });
  });

  it("maps SUCCESS with bad results to malformed, quoting the results", () => {
    expect(replyOutcome("CREATE", reply(`${SUCCESS} 00000009`))).toEqual({
      kind: "malformed",
      reason: expect.stringMatching(/malformed KV_CREATE result.*unknown enum value 9/),
      hex: "00000009",
    });
    const big = malformedOutcome("bad", Buffer.alloc(1000));
    expect(big.kind === "malformed" && big.hex).toBe(`${"00".repeat(256)}...`);
  });

  it("maps accepted errors, with the version range for PROG_MISMATCH", () => {
    const accepted = "00000001 00000001 00000000 00000000 00000000";
    expect(replyOutcome("SET", reply(`${accepted} 00000002 00000001 00000001`))).toEqual({
      kind: "accepted-error",
      stat: "PROG_MISMATCH",
      verifierFlavor: 0,
      mismatch: { low: 1, high: 1 },
    });
    expect(replyOutcome("SET", reply(`${accepted} 00000005`))).toEqual({
      kind: "accepted-error",
      stat: "SYSTEM_ERR",
      verifierFlavor: 0,
    });
  });

  it("maps MSG_DENIED replies", () => {
    expect(
      replyOutcome("GET", reply("00000001 00000001 00000001 00000000 00000002 00000002")),
    ).toEqual({ kind: "rpc-mismatch", low: 2, high: 2 });
    expect(replyOutcome("GET", reply("00000001 00000001 00000001 00000001 00000002"))).toEqual({
      kind: "auth-error",
      stat: "AUTH_REJECTEDCRED",
    });
  });
});

describe("wire example for the student README", () => {
  it("KV_CREATE('/a', 'hi') with xid 1 and AUTH_NONE, as one record", () => {
    const args = encodeKvArgs({ proc: "CREATE", key: "/a", val: "hi" });
    const call = encodeCall({ xid: 1, prog: KV_PROG, vers: KV_V1, proc: KV_PROCS.CREATE, args });
    expect(encodeRecord(call).toString("hex")).toBe(
      [
        "80000038", // record mark: last fragment, 56 bytes
        "00000001", // xid 1
        "00000000", // msg_type CALL
        "00000002", // rpcvers 2
        "40048086", // prog KV_PROG
        "00000001", // vers KV_V1
        "00000001", // proc KV_CREATE
        "00000000 00000000", // cred AUTH_NONE, empty body
        "00000000 00000000", // verf AUTH_NONE, empty body
        "00000002 2f610000", // key "/a" + 2 bytes padding
        "00000002 68690000", // val "hi" + 2 bytes padding
      ]
        .join("")
        .replace(/ /g, ""),
    );
  });

  it("its reply: SUCCESS, KV_OK", () => {
    const wire = hex(
      [
        "8000001c", // record mark: last fragment, 28 bytes
        "00000001", // xid 1
        "00000001", // msg_type REPLY
        "00000000", // reply_stat MSG_ACCEPTED
        "00000000 00000000", // verf AUTH_NONE, empty body
        "00000000", // accept_stat SUCCESS
        "00000000", // kv_status KV_OK
      ].join(""),
    );
    expect(wire.readUInt32BE(0) & 0x7fffffff).toBe(wire.length - 4);
    const decoded = decodeReply(wire.subarray(4));
    expect(decoded.ok && decoded.value.xid).toBe(1);
    if (!decoded.ok) return;
    expect(replyOutcome("CREATE", decoded.value)).toEqual({
      kind: "success",
      result: { proc: "CREATE", status: "KV_OK" },
      verifierFlavor: 0,
    });
  });
});
