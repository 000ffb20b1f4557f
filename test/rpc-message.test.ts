import { describe, expect, it } from "vitest";
import { AUTH_SYS, decodeCall, decodeReply, encodeCall } from "../src/rpc/message.ts";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** xid 7, REPLY, MSG_ACCEPTED, verifier AUTH_NONE */
const ACCEPTED = "00000007 00000001 00000000 00000000 00000000";

describe("encodeCall / decodeCall", () => {
  it("round-trips a call with a credential and arguments", () => {
    const wire = encodeCall({
      xid: 0xfffffff0,
      prog: 100000,
      vers: 2,
      proc: 3,
      cred: { flavor: AUTH_SYS, body: Buffer.from([1, 2, 3, 4, 5]) },
      args: Buffer.from("0000000a", "hex"),
    });
    expect(wire.toString("hex")).toBe(
      "fffffff0 00000000 00000002 000186a0 00000002 00000003 00000001 00000005 0102030405000000 00000000 00000000 0000000a".replace(
        / /g,
        "",
      ),
    );
    const decoded = decodeCall(wire);
    expect(decoded).toEqual({
      ok: true,
      value: {
        xid: 0xfffffff0,
        rpcvers: 2,
        prog: 100000,
        vers: 2,
        proc: 3,
        cred: { flavor: AUTH_SYS, body: Buffer.from([1, 2, 3, 4, 5]) },
        verf: { flavor: 0, body: Buffer.alloc(0) },
        args: Buffer.from("0000000a", "hex"),
      },
    });
  });

  it("sends another rpcvers when asked", () => {
    const decoded = decodeCall(encodeCall({ xid: 1, rpcvers: 3, prog: 1, vers: 1, proc: 0 }));
    expect(decoded.ok && decoded.value.rpcvers).toBe(3);
  });

  it("reports a REPLY given to decodeCall", () => {
    expect(decodeCall(hex(`${ACCEPTED} 00000000`))).toEqual({
      ok: false,
      xid: 7,
      error: expect.stringMatching(/record is a REPLY, not a CALL \(xid 7\)/),
    });
  });
});

describe("decodeReply", () => {
  it("decodes SUCCESS and keeps the results as bytes", () => {
    expect(decodeReply(hex(`${ACCEPTED} 00000000 0000002a`))).toEqual({
      ok: true,
      value: {
        xid: 7,
        replyStat: "MSG_ACCEPTED",
        verf: { flavor: 0, body: Buffer.alloc(0) },
        accepted: { stat: "SUCCESS", results: hex("0000002a") },
      },
    });
  });

  it("decodes PROG_MISMATCH with its version range and the other accept errors", () => {
    const mismatch = decodeReply(hex(`${ACCEPTED} 00000002 00000001 00000003`));
    expect(mismatch.ok && mismatch.value).toMatchObject({
      accepted: { stat: "PROG_MISMATCH", low: 1, high: 3 },
    });
    const stats = ["PROG_UNAVAIL", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"];
    const codes = ["00000001", "00000003", "00000004", "00000005"];
    codes.forEach((code, i) => {
      const decoded = decodeReply(hex(`${ACCEPTED} ${code}`));
      expect(decoded.ok && decoded.value).toMatchObject({ accepted: { stat: stats[i] } });
    });
  });

  it("decodes a non-empty verifier", () => {
    const decoded = decodeReply(
      hex("00000001 00000001 00000000 00000006 00000002 abcd0000 00000003"),
    );
    expect(decoded.ok && decoded.value).toMatchObject({
      verf: { flavor: 6, body: Buffer.from([0xab, 0xcd]) },
      accepted: { stat: "PROC_UNAVAIL" },
    });
  });

  it("decodes MSG_DENIED: RPC_MISMATCH and AUTH_ERROR", () => {
    const mismatch = decodeReply(hex("00000009 00000001 00000001 00000000 00000002 00000002"));
    expect(mismatch).toEqual({
      ok: true,
      value: {
        xid: 9,
        replyStat: "MSG_DENIED",
        rejected: { stat: "RPC_MISMATCH", low: 2, high: 2 },
      },
    });
    const authStat = (code: string) => {
      const d = decodeReply(hex(`00000009 00000001 00000001 00000001 ${code}`));
      return d.ok && d.value.replyStat === "MSG_DENIED" && d.value.rejected;
    };
    expect(authStat("00000001")).toEqual({ stat: "AUTH_ERROR", authStat: "AUTH_BADCRED" });
    expect(authStat("00000002")).toEqual({ stat: "AUTH_ERROR", authStat: "AUTH_REJECTEDCRED" });
    expect(authStat("0000000d")).toEqual({ stat: "AUTH_ERROR", authStat: "AUTH_STAT_13" });
  });

  it.each([
    ["an empty record", "", /0-byte record.*xid: incomplete/, undefined],
    ["a bare xid", "00000005", /msg_type: incomplete/, 5],
    ["a CALL", "00000005 00000000", /record is a CALL, not a REPLY/, 5],
    ["an unknown msg_type", "00000005 00000002", /msg_type: unknown enum value 2/, 5],
    ["an unknown reply_stat", "00000005 00000001 00000002", /reply_stat: unknown enum value 2/, 5],
    ["an unknown accept_stat", `${ACCEPTED} 00000006`, /accept_stat: unknown enum value 6/, 7],
    ["an unknown reject_stat", "00000005 00000001 00000001 00000002", /reject_stat/, 5],
    [
      "a verifier over 400 bytes",
      "00000005 00000001 00000000 00000000 00000191",
      /verf.body: length 401/,
      5,
    ],
    ["a truncated mismatch", `${ACCEPTED} 00000002 00000001`, /mismatch_info.high: incomplete/, 7],
    ["trailing bytes after an error", `${ACCEPTED} 00000001 00000000`, /reply body: 4 trailing/, 7],
    [
      "non-zero verifier padding",
      "00000005 00000001 00000000 00000000 00000001 ff000001",
      /padding/,
      5,
    ],
  ])("returns an error value for %s", (_what, bytes, error, xid) => {
    const decoded = decodeReply(hex(bytes));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error).toMatch(/^undecodable REPLY/);
    expect(decoded.error).toMatch(error);
    expect(decoded.xid).toBe(xid);
  });

  it("never throws on random bytes", () => {
    let seed = 1;
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.alloc(i % 48);
      for (let j = 0; j < bytes.length; j++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        bytes[j] = j % 4 === 3 ? seed % 8 : seed % 3 === 0 ? seed % 256 : 0;
      }
      expect(() => decodeReply(bytes)).not.toThrow();
    }
  });
});
