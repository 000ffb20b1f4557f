import { describe, expect, it } from "vitest";
import { rpcCheckers } from "../labs/rpc/check/index.ts";
import type { Trace } from "../src/trace/events.ts";
import { addRandomValidHistory, TraceBuilder } from "./support/trace-builder.ts";

function sampleTrace(): Trace {
  const b = new TraceBuilder({ cleanFromMs: 0 });
  b.ready(0).boot(1, 2, "11");
  addRandomValidHistory(b, { ops: 300, keys: 5, clients: 4, infoRate: 0.05, seed: 3 });
  return b.trace();
}

describe("rpc checkers on odd traces", () => {
  it("lists the six lab 1 properties", () => {
    expect(rpcCheckers.map((c) => c.property)).toEqual([
      "at-most-once",
      "durability",
      "progress",
      "wire-conformance",
      "stall-isolation",
      "memory-bound",
    ]);
  });

  it("never throw on truncated traces and always give a verdict with a summary", () => {
    const full = sampleTrace();
    for (let cut = 0; cut <= full.events.length; cut += 37) {
      const trace = { ...full, events: full.events.slice(0, cut) };
      for (const c of rpcCheckers) {
        const r = c.check(trace);
        expect(["pass", "fail", "unknown", "skipped"]).toContain(r.verdict);
        expect(r.property).toBe(c.property);
        expect(r.summary.length).toBeGreaterThan(0);
      }
    }
  });

  it("a truncated valid history never fails at-most-once or wire conformance", () => {
    const full = sampleTrace();
    for (let cut = 0; cut <= full.events.length; cut += 53) {
      const trace = { ...full, events: full.events.slice(0, cut) };
      for (const c of rpcCheckers.filter(
        (x) => x.property === "at-most-once" || x.property === "wire-conformance",
      )) {
        expect(c.check(trace).verdict, `cut at ${cut}`).not.toBe("fail");
      }
    }
  });

  it("turns malformed events into unknown rather than an exception", () => {
    const full = sampleTrace();
    const broken = {
      ...full,
      events: [...full.events, { type: "rpc.reply" } as unknown as Trace["events"][number]],
    };
    for (const c of rpcCheckers) expect(() => c.check(broken)).not.toThrow();
  });
});
