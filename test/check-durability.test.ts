import { describe, expect, it } from "vitest";
import { checkDurability } from "../src/kv/durability.ts";
import { create, get, list, set, TraceBuilder } from "./support/trace-builder.ts";

/** A node that is ready, boots, then is killed at 100 and ready again (incarnation 2) at 200. */
function crashRun(): TraceBuilder {
  const b = new TraceBuilder();
  b.ready(0, 1).boot(1, 2, "11");
  b.kill(100, 1).ready(200, 2).boot(201, 202, "22");
  return b;
}

describe("durability", () => {
  it("passes when acknowledged data survives the restart", () => {
    const b = crashRun();
    b.okCall("c1", create("/a", "1"), 10, 20);
    b.okCall("c1", set("/a", "2"), 30, 40);
    b.okCall("c1", create("/b", "x"), 50, 60);
    b.okCall("c2", get("/a"), 210, 220, "KV_OK", "2");
    b.okCall("c2", list("/b"), 230, 240, "KV_OK", []);
    const r = checkDurability(b.trace());
    expect(r.verdict, r.summary).toBe("pass");
    expect(r.summary).toContain("2");
  });

  it("fails when an acknowledged write is lost, naming the write, the kill and the read", () => {
    const b = crashRun();
    b.okCall("c1", create("/a", "1"), 10, 20);
    const write = b.okCall("c1", set("/a", "2"), 30, 40);
    const read = b.okCall("c2", get("/a"), 210, 220, "KV_OK", "1");
    const trace = b.trace();
    const r = checkDurability(trace);
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.ops).toEqual([write.id, read.id]);
    const types = (r.evidence[0]?.events ?? []).map((i) => trace.events[i]?.type);
    expect(types).toContain("node.kill");
    expect(types.filter((t) => t === "op.invoke")).toHaveLength(2);
  });

  it("does not judge a key another call may have changed meanwhile", () => {
    const b = crashRun();
    b.okCall("c1", create("/a", "1"), 10, 20);
    b.infoCall("c3", set("/a", "other"), 50); // may take effect any time, even after restart
    b.okCall("c2", get("/a"), 210, 220, "KV_OK", "other");
    expect(checkDurability(b.trace()).verdict).toBe("skipped");
  });

  it("is skipped without a crash and restart", () => {
    const b = new TraceBuilder();
    b.ready(0).okCall("c1", create("/a", "1"), 10, 20);
    b.kill(30); // killed at the end of the run, never restarted
    expect(checkDurability(b.trace()).verdict).toBe("skipped");
  });
});
