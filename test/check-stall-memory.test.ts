import { describe, expect, it } from "vitest";
import { checkStallIsolation } from "../labs/rpc/check/stall.ts";
import { checkMemoryBound } from "../src/kv/memory-bound.ts";
import { get, TraceBuilder } from "./support/trace-builder.ts";

describe("stall isolation", () => {
  function stalled(answerAfterMs: number, params: Record<string, unknown> = {}): TraceBuilder {
    const b = new TraceBuilder(params);
    b.ready(0).boot(1, 2, "11");
    const conn = b.newConn("staller", 5);
    b.probe(10, "stall", "begin", { conn });
    b.okCall("c1", get("/a"), 20, 20 + answerAfterMs, "KV_KEY_NOT_FOUND");
    b.okCall("c2", get("/a"), 30, 40, "KV_KEY_NOT_FOUND");
    b.probe(3000, "stall", "end", { conn });
    return b.end(3100);
  }

  it("passes when other connections are answered promptly, naming the slowest", () => {
    const r = checkStallIsolation(stalled(300).trace());
    expect(r.verdict, r.summary).toBe("pass");
    expect(r.summary).toContain("300 ms");
  });

  it("fails when a stall delays calls on other connections, slowest first", () => {
    const b = stalled(2500);
    const r = checkStallIsolation(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.summary).toContain("2500 ms");
    expect(r.evidence).toHaveLength(1);
  });

  it("honours params.stallToleranceMs", () => {
    expect(checkStallIsolation(stalled(1400, { stallToleranceMs: 500 }).trace()).verdict).toBe(
      "pass",
    );
  });

  it("is skipped without a stall probe", () => {
    expect(checkStallIsolation(new TraceBuilder().trace()).verdict).toBe("skipped");
  });
});

describe("memory bound", () => {
  function probed(baseKiB: number, endKiB: number): TraceBuilder {
    const b = new TraceBuilder();
    b.memory(5, baseKiB).probe(10, "memory", "baseline", { node: "n1" });
    b.memory(500, baseKiB + 10)
      .memory(900, endKiB)
      .probe(1000, "memory", "end", { node: "n1" });
    return b.memory(1100, endKiB * 10);
  }

  it("passes growth under 64 MiB", () => {
    expect(checkMemoryBound(probed(10_000, 10_000 + 60 * 1024).trace()).verdict).toBe("pass");
  });

  it("fails growth of 64 MiB or more, using the samples at the steps", () => {
    const r = checkMemoryBound(probed(10_000, 10_000 + 64 * 1024).trace());
    expect(r.verdict).toBe("fail");
    expect(r.summary).toContain(`${64 * 1024} KiB`);
  });

  it("is unknown when samples are missing and skipped without a probe", () => {
    const b = new TraceBuilder();
    b.probe(10, "memory", "baseline", { node: "n1" }).probe(20, "memory", "end", { node: "n1" });
    expect(checkMemoryBound(b.trace()).verdict).toBe("unknown");
    expect(checkMemoryBound(new TraceBuilder().trace()).verdict).toBe("skipped");
  });
});
