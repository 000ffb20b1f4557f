/**
 * `dslab inspect`'s pure renderers: the summary, the filters and the story of a violation,
 * on recorded traces and on a small hand-made two-node trace with faults.
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../src/check/types.ts";
import { correlate } from "../src/inspect/correlate.ts";
import { faultTimeline } from "../src/inspect/fault-timeline.ts";
import { aboutProblem, type EventFilter, selectEvents } from "../src/inspect/filter.ts";
import { judgeTrace } from "../src/inspect/judge.ts";
import { renderInspect } from "../src/inspect/render.ts";
import { storyLines } from "../src/inspect/story.ts";
import { summaryLines } from "../src/inspect/summary.ts";
import type { Fault, Trace, TraceEvent } from "../src/trace/events.ts";
import { parseTrace } from "../src/trace/reader.ts";
import { syntheticHeader } from "./support/synthetic-trace.ts";

const MEMORY_ONLY = "fixtures/traces/rpc-bug-memory-only-crash-after-ack.jsonl";

async function memoryOnly(): Promise<Trace> {
  return parseTrace(await readFile(MEMORY_ONLY, "utf8"), MEMORY_ONLY);
}

const BLACKHOLE: Fault = { kind: "blackhole", link: "c2-n2", direction: "upstream" };
const PAUSE: Fault = { kind: "pause", node: "n1" };

/** Two nodes, two clients, lab 2 style calls, one fault that ran and one that did not. */
function twoNodeTrace(): Trace {
  const events: TraceEvent[] = [
    { type: "node.start", t: 1, node: "n1", incarnation: 1, pid: 10, port: 1000, dataDir: "/d1" },
    { type: "node.start", t: 1, node: "n2", incarnation: 1, pid: 11, port: 1001, dataDir: "/d2" },
    { type: "node.ready", t: 2, node: "n1", incarnation: 1 },
    { type: "node.ready", t: 2, node: "n2", incarnation: 1 },
    { type: "conn.open", t: 5, conn: 1, client: "c1", link: "c1-n1" },
    { type: "conn.open", t: 6, conn: 2, client: "c2", link: "c2-n2" },
    {
      type: "op.invoke",
      t: 10,
      op: 1,
      client: "c1",
      node: "n1",
      call: { proc: "CONS_PROPOSE", slot: "42", value: "eA==" },
    },
    {
      type: "rpc.send",
      t: 11,
      conn: 1,
      xid: 1,
      op: 1,
      kind: "first",
      prog: 1,
      vers: 1,
      proc: 1,
      cred: { flavor: "AUTH_NONE" },
      bytes: 60,
    },
    {
      type: "rpc.reply",
      t: 12,
      conn: 1,
      xid: 1,
      outcome: { kind: "success", result: { proc: "CONS_PROPOSE" }, verifierFlavor: 0 },
      bytes: 24,
    },
    {
      type: "op.ok",
      t: 13,
      op: 1,
      outcome: { kind: "success", result: { proc: "CONS_PROPOSE" }, verifierFlavor: 0 },
    },
    { type: "nemesis.start", t: 20, id: 1, fault: BLACKHOLE },
    {
      type: "op.invoke",
      t: 21,
      op: 2,
      client: "c2",
      node: "n2",
      call: { proc: "CONS_DECIDED", slot: "7" },
    },
    {
      type: "rpc.send",
      t: 22,
      conn: 2,
      xid: 1,
      op: 2,
      kind: "first",
      prog: 1,
      vers: 1,
      proc: 2,
      cred: { flavor: "AUTH_NONE" },
      bytes: 60,
    },
    { type: "node.event", t: 30, node: "n1", event: { type: "decide", slot: 42, value: "eA==" } },
    { type: "op.info", t: 40, op: 2, reason: "no reply" },
    { type: "nemesis.stop", t: 50, id: 1, fault: BLACKHOLE },
    { type: "node.event", t: 60, node: "n2", event: { type: "decide", slot: "7", value: "eQ==" } },
    { type: "node.pause", t: 70, node: "n2", incarnation: 1 },
    { type: "node.resume", t: 80, node: "n2", incarnation: 1 },
    { type: "end", t: 100, status: "completed" },
  ];
  return {
    header: syntheticHeader({
      lab: "consensus",
      scenario: "two-nodes",
      seed: 77,
      submission: { path: "/sub", manifest: { build: "make", run: ["./node"] } },
      nodes: ["n1", "n2"],
      schedule: [
        { id: 1, atMs: 20, durationMs: 30, fault: BLACKHOLE },
        { id: 2, atMs: 90, durationMs: 5, fault: PAUSE },
      ],
      reproduce: "bin/dslab test x sub --seed 77",
    }),
    events,
  };
}

const typesOf = (trace: Trace, filter: EventFilter): string[] =>
  selectEvents(trace, correlate(trace), filter).map((i) => trace.events[i]?.type ?? "?");

describe("inspect summary", () => {
  it("gives the seed, the schedule, the node lifecycle, the counts and the failing property", async () => {
    const trace = await memoryOnly();
    const text = summaryLines(trace, judgeTrace(trace)).join("\n");
    expect(text).toContain("scenario crash-after-ack, seed 1, time scale 0.5");
    expect(text).toContain("fault schedule: none planned");
    expect(text).toContain("n1 #1: started 42.8 ms (pid 30764), ready 93.4 ms, killed 109.9 ms");
    expect(text).toContain("17 ops (17 ok, 0 failed, 0 indeterminate, 0 unfinished)");
    expect(text).toContain("verdict: FAIL");
    expect(text).toMatch(/durability FAILED: 1 acknowledged write was lost/);
    expect(text).toContain("reproduce: bin/dslab test rpc fixtures/rpc/bug-memory-only");
  });

  it("says which planned faults ran and which did not", () => {
    const trace = twoNodeTrace();
    const text = summaryLines(trace, { checks: [], verdict: "pass" }).join("\n");
    expect(text).toContain("fault schedule: 2 planned");
    expect(text).toContain("#1 at 20 ms for 30 ms: blackhole upstream on c2-n2; ran 20.0-50.0 ms");
    expect(text).toContain("#2 at 90 ms for 5 ms: pause n1; did not run");
    expect(text).toContain(
      "n2 #1: started 1.0 ms (pid 11), ready 2.0 ms, paused 70.0 ms, resumed 80.0 ms",
    );
    expect(text).toContain('submission: /sub (build "make", run ./node)');
  });

  it("gives a skipped fault's reason, and lists the skip among its node's events", () => {
    const trace = twoNodeTrace();
    const reason = "n1 was not up (restarting after fault 1's crash)";
    trace.events.push({ type: "nemesis.skip", t: 90, id: 2, fault: PAUSE, reason });
    const text = summaryLines(trace, { checks: [], verdict: "pass" }).join("\n");
    expect(text).toContain(`#2 at 90 ms for 5 ms: pause n1; skipped: ${reason}`);
    expect(typesOf(trace, { node: "n1", fromMs: 90 })).toEqual(["nemesis.skip"]);
    expect(typesOf(trace, { node: "n2", fromMs: 90 })).toEqual([]);
  });

  it("lists the reactive faults: what each answered and what ended it", () => {
    const trace = twoNodeTrace();
    const trigger = {
      reaction: 0,
      firing: 1,
      event: "decide" as const,
      node: "n2",
      slot: 7,
      t: 100,
    };
    const cut: Fault = {
      kind: "partition",
      name: "isolate-one",
      cuts: [
        ["n2", "n1"],
        ["n1", "n2"],
      ],
    };
    const endsWhen = { after: 4, decidedBy: ["n1"], maxHoldMs: 30_000 };
    trace.events.push(
      { type: "nemesis.start", t: 101, id: 3, fault: cut, trigger, endsWhen },
      {
        type: "nemesis.stop",
        t: 900,
        id: 3,
        fault: cut,
        trigger,
        endsWhen,
        ended: { by: "max-hold", undecided: ["n1"] },
      },
    );
    const text = summaryLines(trace, { checks: [], verdict: "pass" }).join("\n");
    expect(text).toContain("reactive faults: 1");
    expect(text).toContain(
      "#3 answering n2's decision of slot 7: partition isolate-one: {n1} | {n2}; ran 101.0-900.0 ms (longest hold passed; n1 had not output slot 7's decision)",
    );
  });
});

describe("inspect filters", () => {
  it("--op keeps the op's invoke, transmissions, replies and end, including a late duplicate", async () => {
    const trace = await memoryOnly();
    expect(typesOf(trace, { op: 4 })).toEqual([
      "op.invoke",
      "rpc.send",
      "rpc.reply",
      "op.ok",
      "rpc.send",
      "rpc.reply",
    ]);
  });

  it("--key keeps the key and its subtree, not its siblings or parent", async () => {
    const trace = await memoryOnly();
    const c = correlate(trace);
    const keysOf = (key: string) =>
      new Set(
        selectEvents(trace, c, { about: { key }, types: ["op.invoke"] }).map((i) => {
          const e = trace.events[i];
          return e?.type === "op.invoke" && "key" in e.call ? e.call.key : "?";
        }),
      );
    expect(keysOf("/dur/k0")).toEqual(new Set(["/dur/k0"]));
    expect(keysOf("/dur")).toEqual(new Set(["/dur", "/dur/k0", "/dur/k1", "/dur/k2"]));
    expect(typesOf(trace, { about: { key: "/dur/k" } })).toEqual([]);
  });

  it("--from/--to and --type narrow by time and kind", async () => {
    const trace = await memoryOnly();
    const c = correlate(trace);
    const picked = selectEvents(trace, c, {
      fromMs: 100,
      toMs: 140,
      types: ["node.kill", "op.ok"],
    });
    expect(picked.map((i) => trace.events[i]?.type)).toEqual([
      "op.ok",
      "op.ok",
      "op.ok",
      "op.ok",
      "node.kill",
    ]);
    for (const i of picked) expect(trace.events[i]?.t).toBeGreaterThanOrEqual(100);
  });

  it("--client keeps its ops, connections and the faults on its links", () => {
    const trace = twoNodeTrace();
    expect(typesOf(trace, { client: "c2" })).toEqual([
      "conn.open",
      "nemesis.start",
      "op.invoke",
      "rpc.send",
      "op.info",
      "nemesis.stop",
    ]);
    expect(typesOf(trace, { client: "c3" })).toEqual([]);
  });

  it("--node keeps its lifecycle, the traffic to it and the faults on it", () => {
    const trace = twoNodeTrace();
    expect(typesOf(trace, { node: "n1" })).toEqual([
      "node.start",
      "node.ready",
      "conn.open",
      "op.invoke",
      "rpc.send",
      "rpc.reply",
      "op.ok",
      "node.event",
    ]);
    expect(typesOf(trace, { node: "n2", types: ["nemesis.start", "node.pause"] })).toEqual([
      "nemesis.start",
      "node.pause",
    ]);
  });

  it("--node and --client keep a partition that cuts them off, and only then", () => {
    const trace = twoNodeTrace();
    const partition: Fault = { kind: "partition", name: "n2 alone", cuts: [["n1", "n2"]] };
    trace.events.push({ type: "nemesis.start", t: 90, id: 3, fault: partition });
    const only = ["nemesis.start"];
    expect(selectEvents(trace, correlate(trace), { node: "n2", types: only })).toHaveLength(2);
    expect(selectEvents(trace, correlate(trace), { node: "n1", types: only })).toEqual([
      trace.events.length - 1,
    ]);
    expect(selectEvents(trace, correlate(trace), { client: "c1", types: only })).toEqual([]);
  });

  it("a lab's filter does not apply to another lab's trace: the error names the lab's own", async () => {
    expect(aboutProblem(twoNodeTrace(), { slot: "7" })).toBeUndefined();
    expect(aboutProblem(await memoryOnly(), { slot: "7" })).toBe(
      "--slot does not apply to this trace: its lab, rpc, has the filters: --key",
    );
    expect(typesOf(await memoryOnly(), { about: { slot: "7" } })).toEqual([]);
  });

  it("--slot keeps CONS_* calls for the slot and its decide events", () => {
    const trace = twoNodeTrace();
    expect(typesOf(trace, { about: { slot: "42" } })).toEqual([
      "op.invoke",
      "rpc.send",
      "rpc.reply",
      "op.ok",
      "node.event",
    ]);
    expect(typesOf(trace, { about: { slot: "7" }, client: "c2" })).toEqual([
      "op.invoke",
      "rpc.send",
      "op.info",
    ]);
  });

  it("lists events one per line with time, actor and what, or raw JSON with --json", () => {
    const trace = twoNodeTrace();
    const lines = renderInspect(trace, {
      filter: { op: 2 },
      events: false,
      story: false,
      json: false,
    });
    expect(lines).toEqual([
      "     21.0 ms  c2       op 2 invoked: CONS_DECIDED slot 7 on n2",
      "     22.0 ms  c2       sends xid 1 on conn 2 to n2 (first) for op 2 (CONS_DECIDED slot 7)",
      "     40.0 ms  c2       op 2 indeterminate: no reply",
      "(3 of 20 events)",
    ]);
    const json = renderInspect(trace, {
      filter: { op: 2 },
      events: true,
      story: false,
      json: true,
    });
    expect(json.map((line) => (JSON.parse(line) as TraceEvent).type)).toEqual([
      "op.invoke",
      "rpc.send",
      "op.info",
    ]);
  });
});

describe("inspect story", () => {
  it("tells the memory-only violation: the write, the kill, the restart and the read, in order", async () => {
    const trace = await memoryOnly();
    const lines = renderInspect(trace, { filter: {}, events: false, story: true, json: false });
    const start = lines.findIndex((l) => l.startsWith("durability FAILED"));
    const story = lines.slice(start);
    const at = (pattern: RegExp) => story.findIndex((l) => pattern.test(l));
    const write = at(/^ {2}\* .*op 4 invoked: SET \/dur\/k0 "set 0" {2}\[no fault\]$/);
    const ack = at(/^ {2}\* .*reply xid 4 on conn 1 from n1: SUCCESS KV_OK .*\[no fault\]$/);
    const kill = at(/^ {2}\* .*n1 {7}killed with SIGKILL .*\[n1 down\]$/);
    const down = at(/exited by SIGKILL .*\[n1 down\]$/);
    const rejected = at(/sends xid 4 on conn 2 to n1 \(duplicate\)/);
    const read = at(/^ {2}\* .*op 6 invoked: GET \/dur\/k0/);
    const lost = at(/^ {2}\* .*reply xid 6 on conn 3 from n1: SUCCESS KV_KEY_NOT_FOUND/);
    expect([write, ack, kill, down, rejected, read, lost].every((i) => i > 0)).toBe(true);
    expect([write, ack, kill, down, rejected, read, lost]).toEqual(
      [write, ack, kill, down, rejected, read, lost].toSorted((a, b) => a - b),
    );
  });

  it("is the default after the summary when a property failed", async () => {
    const trace = await memoryOnly();
    const lines = renderInspect(trace, { filter: {}, events: false, story: false, json: false });
    expect(lines[0]).toContain("seed 1");
    expect(lines.some((l) => l.startsWith("story of each violation"))).toBe(true);
  });

  it("shows the faults in force at each evidence event and the op's transmissions", () => {
    const trace = twoNodeTrace();
    const check: CheckResult = {
      property: "termination",
      verdict: "fail",
      summary: "slot 7 was never answered",
      evidence: [{ message: "op 2 got no reply", events: [11], ops: [2] }],
    };
    const lines = storyLines({
      trace,
      checks: [check],
      correlation: correlate(trace),
      faults: faultTimeline(trace),
    });
    expect(lines).toContain("termination FAILED: slot 7 was never answered");
    expect(lines).toContain(
      "  *      21.0 ms  c2       op 2 invoked: CONS_DECIDED slot 7 on n2  [#1 blackhole upstream on c2-n2]",
    );
    expect(
      lines.some((l) => l.includes("sends xid 1 on conn 2") && l.includes("[#1 blackhole")),
    ).toBe(true);
  });

  it("says so when no property failed", async () => {
    const trace = parseTrace(
      await readFile("fixtures/traces/rpc-cpp-reference-crash-after-ack.jsonl", "utf8"),
    );
    const lines = renderInspect(trace, { filter: {}, events: false, story: true, json: false });
    expect(lines).toEqual(["no property failed: there is no violation to tell"]);
  });
});

describe("dslab inspect (the CLI, end to end)", () => {
  it("prints the filtered events and exits 0", async () => {
    const r = await execa(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        "src/cli/main.ts",
        "inspect",
        MEMORY_ONLY,
        "--op",
        "6",
      ],
      { reject: false, timeout: 60_000 },
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "    737.9 ms  c1       op 6 invoked: GET /dur/k0",
      "    738.0 ms  c1       sends xid 6 on conn 3 to n1 (first) for op 6 (GET /dur/k0)",
      "    738.2 ms  c1       reply xid 6 on conn 3 from n1: SUCCESS KV_KEY_NOT_FOUND for op 6 (GET /dur/k0)",
      "    738.3 ms  c1       op 6 ok: SUCCESS KV_KEY_NOT_FOUND",
      "(4 of 121 events)",
    ]);
  });
});
