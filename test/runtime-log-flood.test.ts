/**
 * A node's output stays within its budgets in trace bytes whatever it prints (issue 12,
 * finding 3): empty or short log lines cost their whole trace line, what is past the log
 * budget is counted in one node.log.dropped, events past theirs fail the run, and a flooding
 * submission ends as a failed check.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_OUTPUT_LIMITS,
  NodeOutput,
  type OutputLimits,
} from "../src/runtime/node-output.ts";
import type { TraceEvent } from "../src/trace/events.ts";
import { readTrace } from "../src/trace/reader.ts";
import { fixtureRunner } from "./support/e2e.ts";

/** Bytes the node.log events take in trace.jsonl: one JSON line each. */
const traceBytes = (events: TraceEvent[]) =>
  events
    .filter((e) => e.type === "node.log")
    .reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)) + 1, 0);

/** Node n1's output as the trace records it, and the reasons it failed the run. */
async function feed(output: string, limits: Partial<OutputLimits>) {
  const events: TraceEvent[] = [];
  const fatal: string[] = [];
  const nodeOutput = new NodeOutput(
    "n1",
    { ...DEFAULT_OUTPUT_LIMITS, ...limits },
    new Set(["decided"]),
    { emit: (e) => events.push(e), now: () => 1, onFatal: (reason) => fatal.push(reason) },
  );
  await nodeOutput.attach(Readable.from([Buffer.from(output)]), "stdout");
  nodeOutput.flushDropped();
  return { events, fatal };
}

describe("node output budget", () => {
  it("charges an empty line its trace line and counts the lines past the budget", async () => {
    const { events } = await feed("\n".repeat(100_000), { logBudgetBytes: 10_000 });
    const logs = events.filter((e) => e.type === "node.log");
    expect(traceBytes(events)).toBeLessThanOrEqual(10_000);
    expect(logs.length).toBeGreaterThan(100);
    const dropped = events.filter((e) => e.type === "node.log.dropped");
    expect(dropped).toEqual([
      { type: "node.log.dropped", t: 1, node: "n1", lines: 100_000 - logs.length, bytes: 0 },
    ]);
  });

  it("stops the log where the budget ran out, while lab events still come through", async () => {
    const long = "y".repeat(2_000);
    const lines = ["a", long, "b", JSON.stringify({ type: "decided", value: 7 }), "c"];
    const { events } = await feed(`${lines.join("\n")}\n`, { logBudgetBytes: 1_000 });
    const kept = events.map((e) => (e.type === "node.log" ? e.line : e.type));
    // "b" and "c" would fit after the long line, but the log has no holes.
    expect(kept).toEqual(["a", "node.event", "node.log.dropped"]);
    expect(events.at(-1)).toMatchObject({ lines: 3, bytes: 2_002 });
  });

  it("fails the run at the first event past the events' budget and keeps no more", async () => {
    const big = JSON.stringify({ type: "decided", padding: "p".repeat(1_000) });
    const { events, fatal } = await feed(`${big}\n`.repeat(1_000), { eventBudgetBytes: 10_000 });
    expect(events.filter((e) => e.type === "node.event")).toHaveLength(9);
    expect(fatal).toEqual([
      "node n1 printed more than 10000 bytes of events in the trace (the limit per node and run)",
    ]);
  });
});

describe("events printed again after a restart", () => {
  it("are free once per incarnation; new events and repeats within one run count", async () => {
    const events: TraceEvent[] = [];
    const fatal: string[] = [];
    const output = new NodeOutput(
      "n1",
      { ...DEFAULT_OUTPUT_LIMITS, maxEvents: 3 },
      new Set(["decided"]),
      { emit: (e) => events.push(e), now: () => 1, onFatal: (reason) => fatal.push(reason) },
    );
    const decided = (slot: number) => `${JSON.stringify({ type: "decided", slot })}\n`;
    const print = (text: string) => output.attach(Readable.from([Buffer.from(text)]), "stdout");
    output.beginIncarnation();
    await print(decided(1) + decided(2) + decided(3));
    for (let restart = 0; restart < 5; restart += 1) {
      output.beginIncarnation();
      await print(decided(1) + decided(2) + decided(3)); // what it recovered: free
    }
    expect(fatal).toEqual([]);
    expect(events.filter((e) => e.type === "node.event")).toHaveLength(18);
    await print(decided(1)); // twice in one incarnation: counts, and is the 4th
    expect(fatal).toEqual(["node n1 printed more than 3 events (the limit per node and run)"]);
  });
});

describe("a submission flooding its logs", () => {
  const run = fixtureRunner("rpc");

  it("fails its checks with a trace bounded by the budget", { timeout: 120_000 }, async () => {
    const summary = await run("../hostile/log-flood", ["clean"], 1);
    const [result] = summary.results;
    expect(result?.harnessError).toBeUndefined();
    expect(result?.verdict).toBe("fail");
    const trace = await readTrace(result?.tracePath ?? "");
    const logs = trace.events.filter((e) => e.type === "node.log");
    expect(traceBytes(trace.events)).toBeLessThanOrEqual(DEFAULT_OUTPUT_LIMITS.logBudgetBytes);
    // An empty line's trace line is about 70 bytes: the flood keeps at most a quarter million.
    expect(logs.length).toBeLessThan(DEFAULT_OUTPUT_LIMITS.logBudgetBytes / 60);
    const dropped = trace.events.filter((e) => e.type === "node.log.dropped");
    expect(dropped).toHaveLength(1);
    const [summaryOfDrops] = dropped;
    // 1 MiB of empty lines and a million short ones were printed; the kept ones are the rest.
    if (summaryOfDrops?.type !== "node.log.dropped") throw new Error("no node.log.dropped");
    expect(summaryOfDrops.lines + logs.length).toBe(2 ** 20 + 1_000_000);
    expect(summaryOfDrops.bytes).toBeGreaterThan(0);
    const traceSize = (await readFile(result?.tracePath ?? "")).length;
    expect(traceSize).toBeLessThan(DEFAULT_OUTPUT_LIMITS.logBudgetBytes + 1024 * 1024);
  });
});
