import { describe, expect, it } from "vitest";
import { checkProgress } from "../labs/rpc/check/progress.ts";
import { denied, get, set, TraceBuilder } from "./support/trace-builder.ts";

function cleanRun(params: Record<string, unknown>): TraceBuilder {
  const b = new TraceBuilder(params);
  b.ready(0).boot(1, 2, "11");
  b.okCall("c1", { proc: "CREATE", key: "/a", val: "0" }, 3, 4);
  return b;
}

describe("progress", () => {
  it("passes when calls on a clean network succeed", () => {
    const b = cleanRun({ cleanFromMs: 0 });
    b.okCall("c1", get("/a"), 10, 20, "KV_OK", "0");
    b.end(100);
    const r = checkProgress(b.trace());
    expect(r.verdict, r.summary).toBe("pass");
  });

  it("fails a call with the current cookie left unanswered in a clean period", () => {
    const b = cleanRun({ cleanPeriods: [[0, 1000]] });
    const stuck = b.infoCall("c1", set("/a", "1"), 10);
    b.end(500);
    const r = checkProgress(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.ops).toEqual([stuck.id]);
    expect(r.evidence[0]?.message).toContain("no reply");
  });

  it("ignores calls during a fault, with a stale cookie, or still open in an interrupted run", () => {
    const b = cleanRun({ cleanFromMs: 0 });
    b.fault(50, 150, 1, { kind: "blackhole", link: "n1", direction: "upstream" });
    const hit = b.infoCall("c1", set("/a", "during-fault"), 60);
    b.add({ type: "op.info", t: 90, op: hit.id, reason: "timed out" });
    b.invoke(200, "c2", get("/a"))
      .send(200, { cred: b.amo("c2", 0, "999") })
      .reply(201, denied("AUTH_REJECTEDCRED"));
    b.infoCall("c1", set("/a", "open"), 300);
    b.end(310, "interrupted");
    expect(checkProgress(b.trace()).verdict).toBe("pass");
  });

  it("with expectAllOk, fails any call that did not succeed", () => {
    const b = cleanRun({ expectAllOk: true });
    b.invoke(10, "c1", get("/a"))
      .send(10, { cred: b.amo("c1", 0, "999") })
      .reply(11, denied("AUTH_REJECTEDCRED"));
    b.end(20);
    const r = checkProgress(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toContain("AUTH_REJECTEDCRED");
  });

  it("fails a node that never became ready, quoting its reason and logs", () => {
    const b = new TraceBuilder();
    b.add({ type: "node.log", t: 1, node: "n1", stream: "stderr", line: "bind: address in use" });
    b.add({
      type: "node.failed",
      t: 10_000,
      node: "n1",
      incarnation: 1,
      reason: "not ready within 10 s",
    });
    const trace = b.trace();
    const r = checkProgress(trace);
    expect(r.verdict).toBe("fail");
    expect(r.summary).toContain("not ready within 10 s");
    expect(r.summary).toContain("bind: address in use");
  });

  it("is skipped when the scenario declares no clean period", () => {
    const b = cleanRun({});
    b.infoCall("c1", set("/a", "1"), 10);
    expect(checkProgress(b.trace()).verdict).toBe("skipped");
  });
});
