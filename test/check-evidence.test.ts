/**
 * A run passes only on evidence (issue 12, finding 2): the evidence property fails a trace
 * with fewer answered calls than its scenario's minimum, whatever the other checkers say, in
 * `dslab check` as in the live run; and lab 1's progress requires answers after the final
 * heal, the calm phase in which a server that stopped answering shows. The recorded traces are
 * fixtures/hostile/sleep-on-call (a server that never answers) in lost-replies, which passed
 * before (its calls overlapped faults, so progress and wire-conformance were skipped and
 * at-most-once had nothing to contradict), and lab 2's fixtures/hostile/never-decides.
 */
import { describe, expect, it } from "vitest";
import { checkProgress } from "../labs/rpc/check/progress.ts";
import { checkEvidence, minAnsweredCalls } from "../src/check/evidence.ts";
import { judgeTrace } from "../src/inspect/judge.ts";
import { readTrace } from "../src/trace/reader.ts";
import { get, TraceBuilder } from "./support/trace-builder.ts";

const SILENT: Array<[string, RegExp]> = [
  ["fixtures/traces/rpc-sleep-on-call-lost-replies.jsonl", /needs at least 40 answered calls/],
  ["fixtures/traces/consensus-never-decides-one-crash.jsonl", /needs at least 20 answered calls/],
];

/** A run with `answered` answered calls and one that got no reply. */
function run(answered: number, params: Record<string, unknown>): TraceBuilder {
  const b = new TraceBuilder({ cleanFromMs: 0, ...params });
  b.ready(0).boot(1, 2, "11");
  for (let i = 1; i < answered; i++)
    b.okCall("c1", get("/a"), 10 * i, 10 * i + 1, "KV_KEY_NOT_FOUND");
  b.infoCall("c2", get("/a"), 5);
  return b;
}

describe("evidence", () => {
  it("fails a run with fewer answered calls than the scenario's minimum, and says so", () => {
    const b = run(3, { minAnsweredCalls: 4 });
    b.end(100);
    const r = checkEvidence(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.summary).toBe(
      "Only 3 of 4 calls got a reply: too little to judge the submission by, so the run cannot pass (this scenario needs at least 4 answered calls).",
    );
    expect(r.evidence[0]?.events).toHaveLength(1); // the unanswered call's transmission
  });

  it("passes at the minimum, counting a call once however often it was answered", () => {
    const b = run(4, { minAnsweredCalls: 4 });
    b.invoke(200, "c3", get("/b")).send(200).ok(201, "KV_KEY_NOT_FOUND").send(300).ok(301);
    b.end(400);
    expect(checkEvidence(b.trace())).toMatchObject({ verdict: "pass" });
    expect(checkEvidence(b.trace()).summary).toMatch(/^5 of 6 calls got a reply/);
  });

  it("counts a probe's raw calls by connection and xid, and no reply to nothing sent", () => {
    const b = new TraceBuilder({ minAnsweredCalls: 2 });
    b.rawSend(1, { conn: 7, xid: 1 }).rawReply(2, 7, 1, {
      kind: "malformed",
      reason: "x",
      hex: "",
    });
    b.rawReply(3, 7, 2, { kind: "malformed", reason: "unsolicited", hex: "" });
    b.end(10);
    const result = checkEvidence(b.trace());
    expect(result.summary).toMatch(/^Only 1 of 1 calls got a reply/);
    // Every call answered, too few made (a probe whose first calls were refused).
    expect(result.evidence[0]?.message).toBe(
      "Every call sent got a reply, but only 1 was sent: the scenario's clients stopped early (the other properties say why).",
    );
  });

  it("needs at least one answered call, whatever the trace's header says", () => {
    expect(minAnsweredCalls({})).toBe(1);
    expect(minAnsweredCalls({ minAnsweredCalls: 0 })).toBe(1);
    expect(minAnsweredCalls({ minAnsweredCalls: "20" })).toBe(1);
    expect(minAnsweredCalls({ minAnsweredCalls: 19.5 })).toBe(20);
    const b = new TraceBuilder({ minAnsweredCalls: 0 });
    b.infoCall("c1", get("/a"), 1);
    b.end(10);
    expect(checkEvidence(b.trace()).summary).toBe(
      "No call got a reply (1 sent): nothing in this run could be judged, so it cannot pass (this scenario needs at least 1 answered call).",
    );
  });
});

describe("progress after the final heal", () => {
  function healed(): TraceBuilder {
    const b = new TraceBuilder({ cleanFromMs: 0 });
    b.ready(0).boot(1, 2, "11");
    b.fault(50, 150, 1, { kind: "blackhole", link: "c1-n1", direction: "downstream" });
    b.add({ type: "nemesis.heal", t: 160 });
    return b;
  }
  const read = (b: TraceBuilder, t: number) =>
    b.invoke(t, "reader", get("/a")).send(t, { cred: { flavor: "AUTH_NONE" } });

  it("fails a read the healed server never answered", () => {
    const b = healed();
    const stuck = read(b, 200);
    b.add({ type: "op.info", t: 3200, op: stuck.id, reason: "gave up after 3000 ms" });
    b.end(3300);
    const r = checkProgress(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toBe(
      "op 2 (GET /a) by reader did not succeed on a calm network after the final heal: it got no reply.",
    );
  });

  it("passes the reads the healed server answered", () => {
    const b = healed();
    read(b, 200).ok(201, "KV_KEY_NOT_FOUND");
    b.end(300);
    expect(checkProgress(b.trace()).verdict).toBe("pass");
  });

  it("leaves reads alone in a run without faults (a probe's deliberate errors)", () => {
    const b = new TraceBuilder({ cleanFromMs: 0 });
    b.ready(0).add({ type: "nemesis.heal", t: 1 });
    read(b, 10);
    b.end(3000);
    expect(checkProgress(b.trace()).verdict).toBe("skipped");
  });
});

describe("a submission that never answers, as dslab check judges its recorded run", () => {
  it.each(SILENT)("%s fails evidence", async (path, minimum) => {
    const judgement = judgeTrace(await readTrace(path));
    expect(judgement.verdict).toBe("fail");
    const evidence = judgement.checks.find((c) => c.property === "evidence");
    expect(evidence?.verdict).toBe("fail");
    expect(evidence?.summary).toMatch(/^No call got a reply \(\d+ sent\): nothing in this run/);
    expect(evidence?.summary).toMatch(minimum);
  });
});
