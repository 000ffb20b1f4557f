import { describe, expect, it } from "vitest";
import { checkAtMostOnce, makeAtMostOnceChecker } from "../src/kv/at-most-once.ts";
import type { Trace } from "../src/trace/events.ts";
import {
  addRandomValidHistory,
  create,
  get,
  list,
  remove,
  set,
  TraceBuilder,
} from "./support/trace-builder.ts";

/** The event types an evidence item points at. */
const typesOf = (trace: Trace, events: number[]): string[] =>
  events.map((i) => trace.events[i]?.type ?? "?");

describe("at-most-once: histories that must pass", () => {
  it("accepts a sequential history", () => {
    const b = new TraceBuilder();
    b.okCall("c1", create("/a", "1"), 10, 20);
    b.okCall("c1", set("/a", "2"), 30, 40);
    b.okCall("c1", get("/a"), 50, 60, "KV_OK", "2");
    b.okCall("c1", create("/a/b", "x"), 70, 80);
    b.okCall("c1", list("/a"), 90, 100, "KV_OK", ["b"]);
    b.okCall("c1", remove("/a"), 110, 120, "KV_HAS_CHILDREN");
    b.okCall("c1", get("/"), 130, 140, "KV_OK", "");
    b.okCall("c1", list("/"), 150, 160, "KV_OK", ["a"]);
    const r = checkAtMostOnce(b.trace());
    expect(r.verdict, r.summary).toBe("pass");
    expect(r.property).toBe("at-most-once");
  });

  it("accepts concurrent calls in either order", () => {
    const b = new TraceBuilder();
    b.okCall("c1", create("/k", "0"), 0, 5);
    // Both SETs overlap the GET; the GET may see either.
    b.okCall("c1", set("/k", "1"), 10, 50);
    b.okCall("c2", set("/k", "2"), 12, 40);
    b.okCall("c3", get("/k"), 15, 45, "KV_OK", "1");
    b.okCall("c3", get("/k"), 60, 70, "KV_OK", "1");
    expect(checkAtMostOnce(b.trace()).verdict).toBe("pass");
  });

  it("accepts indeterminate calls that did and did not take effect", () => {
    const b = new TraceBuilder();
    b.okCall("c1", create("/a", "0"), 0, 5);
    b.infoCall("c1", set("/a", "took-effect"), 10);
    b.okCall("c2", get("/a"), 100, 110, "KV_OK", "took-effect");
    b.okCall("c2", create("/b", "0"), 120, 130);
    b.infoCall("c2", set("/b", "never"), 140);
    b.okCall("c3", get("/b"), 200, 210, "KV_OK", "0");
    expect(checkAtMostOnce(b.trace()).verdict).toBe("pass");
  });

  it("accepts a retransmission answered from the cache", () => {
    const b = new TraceBuilder();
    const c = b.invoke(0, "c1", create("/a", "1")).send(0);
    c.send(50, { kind: "retransmit" }).ok(60, "KV_OK").ok(61, "KV_OK", undefined, 0);
    b.okCall("c2", get("/a"), 100, 110, "KV_OK", "1");
    expect(checkAtMostOnce(b.trace()).verdict).toBe("pass");
  });

  it("treats a call whose every transmission was refused as never executed", () => {
    const b = new TraceBuilder();
    b.invoke(0, "c1", create("/a", "1"))
      .send(0)
      .reply(5, { kind: "auth-error", stat: "AUTH_REJECTEDCRED" });
    b.okCall("c1", get("/a"), 10, 20, "KV_KEY_NOT_FOUND");
    expect(checkAtMostOnce(b.trace()).verdict).toBe("pass");
  });
});

describe("at-most-once: violations", () => {
  it("fails a duplicate CREATE executed twice (KV_KEY_EXISTS to the only creator)", () => {
    const b = new TraceBuilder();
    const c = b.invoke(0, "c1", create("/a", "1")).send(0).send(30, { kind: "retransmit" });
    c.ok(40, "KV_KEY_EXISTS");
    const trace = b.trace();
    const r = checkAtMostOnce(trace);
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.ops).toContain(c.id);
    expect(typesOf(trace, r.evidence[0]?.events ?? [])).toContain("rpc.reply");
  });

  it("fails a duplicate SET re-executed after a later SET", () => {
    const b = new TraceBuilder();
    b.okCall("c1", create("/a", "0"), 0, 5);
    const old = b.invoke(10, "c1", set("/a", "old")).send(10);
    old.ok(20, "KV_OK");
    b.okCall("c1", set("/a", "new"), 30, 40);
    old.send(50, { kind: "duplicate", conn: b.newConn("c1", 50) }).ok(55, "KV_OK");
    const read = b.okCall("c2", get("/a"), 60, 70, "KV_OK", "old");
    const r = checkAtMostOnce(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence.some((e) => e.ops?.includes(read.id))).toBe(true);
  });

  it("fails a REMOVE executed twice", () => {
    const b = new TraceBuilder();
    b.okCall("c1", create("/a", "0"), 0, 5);
    const rm = b.invoke(10, "c1", remove("/a")).send(10).send(30, { kind: "retransmit" });
    rm.ok(35, "KV_KEY_NOT_FOUND");
    expect(checkAtMostOnce(b.trace()).verdict).toBe("fail");
  });

  it("fails differing duplicate replies, pointing at both", () => {
    const b = new TraceBuilder();
    b.okCall("c1", create("/a", "0"), 0, 5);
    const rm = b.invoke(10, "c1", remove("/a")).send(10);
    rm.ok(20, "KV_OK").send(30, { kind: "retransmit" }).ok(35, "KV_KEY_NOT_FOUND");
    const trace = b.trace();
    const r = checkAtMostOnce(trace);
    expect(r.verdict).toBe("fail");
    const dup = r.evidence.find((e) => e.message.includes("two different SUCCESS replies"));
    expect(dup?.ops).toEqual([rm.id]);
    expect(typesOf(trace, dup?.events ?? []).filter((t) => t === "rpc.reply")).toHaveLength(2);
  });

  it("fails a read of a value nobody wrote, and a wrong answer for a malformed key", () => {
    const b = new TraceBuilder();
    b.okCall("c1", get("/a"), 0, 5, "KV_OK", "ghost");
    expect(checkAtMostOnce(b.trace()).verdict).toBe("fail");
    const m = new TraceBuilder();
    m.okCall("c1", set("/bad-key", "1"), 0, 5, "KV_KEY_NOT_FOUND");
    expect(checkAtMostOnce(m.trace()).verdict).toBe("fail");
  });

  it("fails LIST / orders that no single execution order explains", () => {
    const b = new TraceBuilder();
    // /a created strictly before /b; a LIST / strictly later sees b but not a.
    b.okCall("c1", create("/a", "0"), 0, 5);
    b.okCall("c1", create("/b", "0"), 10, 15);
    b.okCall("c2", list("/"), 20, 25, "KV_OK", ["b"]);
    expect(checkAtMostOnce(b.trace()).verdict).toBe("fail");
    // Projections alone pass; only the joint order is impossible: LIST 1 sees a without b,
    // LIST 2 sees b without a, while neither key is ever removed.
    const j = new TraceBuilder();
    j.infoCall("c1", create("/a", "0"), 0);
    j.infoCall("c2", create("/b", "0"), 0);
    j.okCall("c3", list("/"), 10, 20, "KV_OK", ["a"]);
    j.okCall("c4", list("/"), 10, 20, "KV_OK", ["b"]);
    const r = checkAtMostOnce(j.trace());
    expect(r.verdict, r.summary).toBe("fail");
  });
});

describe("at-most-once: bounded search", () => {
  it("answers unknown, not pass, when the step budget runs out", () => {
    const b = new TraceBuilder();
    b.okCall("c0", create("/k", "0"), 0, 1);
    for (let i = 0; i < 12; i++) b.infoCall(`c${i + 1}`, set("/k", `v${i}`), 10 + i);
    b.okCall("r", get("/k"), 100, 110, "KV_OK", "nobody-wrote-this");
    const r = makeAtMostOnceChecker({ stepBudget: 50 })(b.trace());
    expect(r.verdict).toBe("unknown");
    expect(r.summary).toContain("/k");
  });

  it("decides 50-op single-key histories with a few indeterminate calls, both ways", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const b = new TraceBuilder();
      addRandomValidHistory(b, { ops: 50, keys: 1, clients: 6, infoRate: 0.1, seed });
      const trace = b.trace();
      expect(checkAtMostOnce(trace).verdict, `seed ${seed}`).toBe("pass");
      // Corrupt the last successful GET's value: now it must fail, within the budget.
      const read = trace.events.findLast(
        (e) =>
          e.type === "rpc.reply" &&
          e.outcome.kind === "success" &&
          e.outcome.result.proc === "GET" &&
          e.outcome.result.status === "KV_OK",
      );
      if (read?.type !== "rpc.reply" || read.outcome.kind !== "success") continue;
      read.outcome = {
        ...read.outcome,
        result: { proc: "GET", status: "KV_OK", val: "never-written" },
      };
      expect(checkAtMostOnce(trace).verdict, `corrupted seed ${seed}`).toBe("fail");
    }
  });

  it("checks LIST / across many keys and concurrent clients", () => {
    const b = new TraceBuilder();
    addRandomValidHistory(b, {
      ops: 1000,
      keys: 50,
      clients: 5,
      infoRate: 0.02,
      seed: 11,
      rootListRate: 0.01,
    });
    expect(checkAtMostOnce(b.trace()).verdict).toBe("pass");
  });

  it("checks a 2,000-op history across 100 keys quickly", () => {
    const b = new TraceBuilder();
    addRandomValidHistory(b, { ops: 2000, keys: 100, clients: 10, infoRate: 0.02, seed: 7 });
    const started = performance.now();
    const r = checkAtMostOnce(b.trace());
    const elapsed = performance.now() - started;
    expect(r.verdict, r.summary).toBe("pass");
    expect(elapsed).toBeLessThan(10_000); // generous: CI machines vary
  });
});
