import { describe, expect, it } from "vitest";
import { KV_PROG } from "../src/kv/kv-types.ts";
import { checkWireConformance } from "../src/kv/wire/wire-conformance.ts";
import { AUTH_AMO } from "../src/rpc/amo-credential.ts";
import { acceptError, denied, get, set, success, TraceBuilder } from "./support/trace-builder.ts";

/** Ready, booted with cookie 11, one key created. */
function booted(): TraceBuilder {
  const b = new TraceBuilder();
  b.ready(0, 1).boot(1, 2, "11");
  b.okCall("c1", { proc: "CREATE", key: "/a", val: "0" }, 3, 4);
  return b;
}

describe("wire conformance: correct replies pass", () => {
  it("accepts the contract's answers to deviant calls", () => {
    const b = booted();
    b.rawSend(10, { conn: 9, xid: 1, prog: 123 }).rawReply(11, 9, 1, acceptError("PROG_UNAVAIL"));
    b.rawSend(12, { conn: 9, xid: 2, vers: 2 }).rawReply(
      13,
      9,
      2,
      acceptError("PROG_MISMATCH", { low: 1, high: 1 }),
    );
    b.rawSend(14, { conn: 9, xid: 3, proc: 7 }).rawReply(15, 9, 3, acceptError("PROC_UNAVAIL"));
    b.rawSend(16, { conn: 9, xid: 4, deviation: "garbage-args" }).rawReply(
      17,
      9,
      4,
      acceptError("GARBAGE_ARGS"),
    );
    b.rawSend(18, { conn: 9, xid: 5, cred: { flavor: "raw", flavorNumber: 7, bodyHex: "" } });
    b.rawReply(19, 9, 5, denied("AUTH_BADCRED"));
    b.rawSend(20, {
      conn: 9,
      xid: 6,
      cred: { flavor: "raw", flavorNumber: AUTH_AMO, bodyHex: "00".repeat(19) },
    });
    b.rawReply(21, 9, 6, denied("AUTH_BADCRED"));
    // A stale cookie on a wrong program: REJECTEDCRED comes before PROG_UNAVAIL.
    b.rawSend(22, { conn: 9, xid: 7, prog: 5, cred: b.amo("p", 0, "0") }).rawReply(
      23,
      9,
      7,
      denied("AUTH_REJECTEDCRED"),
    );
    // KV_NULL answers whatever the cookie.
    b.rawSend(24, { conn: 9, xid: 8, proc: 0, cred: b.amo("p", 0, "0") });
    b.rawReply(25, 9, 8, success({ proc: "NULL" }));
    b.rawSend(26, { conn: 9, xid: 9, deviation: "not-a-call" });
    const r = checkWireConformance(b.trace());
    expect(r.verdict, r.summary).toBe("pass");
  });

  it("accepts SYSTEM_ERR for a never-used xid below the watermark", () => {
    const b = booted();
    b.rawSend(10, { conn: 9, xid: 50, cred: b.amo("p", 40) }).rawReply(
      11,
      9,
      50,
      success({ proc: "GET", status: "KV_KEY_NOT_FOUND" }),
    );
    b.rawSend(12, { conn: 9, xid: 30, cred: b.amo("p", 40) }).rawReply(
      13,
      9,
      30,
      acceptError("SYSTEM_ERR"),
    );
    expect(checkWireConformance(b.trace()).verdict).toBe("pass");
  });
});

describe("wire conformance: violations", () => {
  it("fails a stale cookie accepted after a restart", () => {
    const b = booted();
    b.kill(50, 1).ready(60, 2).boot(61, 62, "22");
    const stale = b.invoke(70, "c1", set("/a", "x")).send(70, { cred: b.amo("c1", 0, "11") });
    stale.ok(71, "KV_OK");
    const trace = b.trace();
    const r = checkWireConformance(trace);
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toContain("AUTH_REJECTEDCRED");
    expect((r.evidence[0]?.events ?? []).map((i) => trace.events[i]?.type)).toEqual([
      "rpc.send",
      "rpc.reply",
    ]);
  });

  it("rejects an earlier boot's cookie even before the new cookie is known", () => {
    const b = booted();
    b.kill(50, 1).ready(60, 2);
    b.invoke(70, "c1", get("/a"))
      .send(70, { cred: b.amo("c1", 0, "11") })
      .ok(71, "KV_OK", "0");
    expect(checkWireConformance(b.trace()).verdict).toBe("fail");
  });

  it("fails wrong error order, wrong mismatch range, replies to nothing, and bad verifiers", () => {
    const cases: Array<(b: TraceBuilder) => void> = [
      (b) =>
        b
          .rawSend(10, {
            conn: 9,
            xid: 1,
            prog: KV_PROG + 1,
            cred: { flavor: "raw", flavorNumber: 9, bodyHex: "" },
          })
          .rawReply(11, 9, 1, acceptError("PROG_UNAVAIL")),
      (b) =>
        b
          .rawSend(10, { conn: 9, xid: 1, vers: 3 })
          .rawReply(11, 9, 1, acceptError("PROG_MISMATCH", { low: 1, high: 3 })),
      (b) => b.rawReply(11, 9, 77, acceptError("SYSTEM_ERR")),
      (b) =>
        b.rawSend(10, { conn: 9, xid: 1 }).rawReply(11, 9, 1, {
          kind: "success",
          result: { proc: "GET", status: "KV_KEY_NOT_FOUND" },
          verifierFlavor: 1,
        }),
      (b) =>
        b
          .rawSend(10, { conn: 9, xid: 1 })
          .rawReply(11, 9, 1, { kind: "malformed", reason: "short body", hex: "00" }),
      (b) =>
        b
          .rawSend(10, { conn: 9, xid: 1, deviation: "not-a-call" })
          .rawReply(11, 9, 1, acceptError("GARBAGE_ARGS")),
      (b) =>
        b
          .rawSend(12, { conn: 9, xid: 30, cred: b.amo("p", 40) })
          .rawSend(10, { conn: 9, xid: 50, cred: b.amo("p", 40) })
          .rawReply(11, 9, 50, success({ proc: "GET", status: "KV_KEY_NOT_FOUND" }))
          .rawReply(13, 9, 30, success({ proc: "GET", status: "KV_KEY_NOT_FOUND" })),
      (b) => b.kill(50, 1).ready(60, 2).boot(61, 62, "11"),
      (b) => b.boot(30, 31, "0"),
    ];
    for (const [i, add] of cases.entries()) {
      const b = booted();
      add(b);
      const r = checkWireConformance(b.trace());
      expect(r.verdict, `case ${i}: ${r.summary}`).toBe("fail");
    }
  });
});
