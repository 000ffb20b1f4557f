/**
 * Traces that say they are whole (issue 12, finding 6): the writer's header announces a digest
 * and its `end` event carries SHA-256 of every line before it, so `dslab check` and `dslab
 * inspect` refuse a damaged or edited trace (exit 2, file:line: reason) instead of passing it;
 * nothing may follow `end`; and a trace in which no call got a reply fails (evidence), digest
 * or not. The damaged traces are fixtures/hostile/damaged-traces/, made from the recorded
 * fixtures/traces/rpc-bug-memory-only-crash-after-ack-digest.jsonl (a failing run).
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { judgeTrace } from "../src/inspect/judge.ts";
import type { TraceHeader } from "../src/trace/events.ts";
import { parseTrace, readTrace } from "../src/trace/reader.ts";
import { TraceWriter } from "../src/trace/writer.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const RECORDED = "fixtures/traces/rpc-bug-memory-only-crash-after-ack-digest.jsonl";
const DAMAGED = "fixtures/hostile/damaged-traces";
const tempDir = useTempDirs();

const dslab = (...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
    reject: false,
    timeout: 60_000,
  });

/** Each damaged trace `dslab check` and `dslab inspect` must refuse, with the line and reason. */
const REFUSED: Array<[string, RegExp]> = [
  ["replies-deleted.jsonl", /:100: the "end" event's digest does not match the lines before it/],
  ["header-and-end.jsonl", /:2: the "end" event's digest does not match/],
  ["t-removed.jsonl", /:2: event is missing "t"/],
  ["garbage-after-end.jsonl", /:124: a line after the "end" event of line 123/],
];

describe("a damaged trace is unreadable (exit 2), naming the file and line", () => {
  it.each(REFUSED)("%s", async (name, reason) => {
    const file = `${DAMAGED}/${name}`;
    for (const run of await Promise.all([dslab("check", file), dslab("inspect", file)])) {
      expect(run.exitCode, `${run.command}\n${run.stdout}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^dslab: ${file}:`));
      expect(run.stderr).toMatch(reason);
    }
  });

  it("an end without its digest when the header announces one", () => {
    const text = readFileSync(RECORDED, "utf8").replace(/,"digest":"[0-9a-f]{64}"/, "");
    expect(() => parseTrace(text, "t.jsonl")).toThrow(
      /^t\.jsonl:123: the "end" event has no "digest" though the header announces one/,
    );
  });

  it("the reply that shows the lost write changed to the write's value", () => {
    const text = readFileSync(RECORDED, "utf8");
    const edited = text.replace(
      '"result":{"proc":"GET","status":"KV_KEY_NOT_FOUND"}',
      '"result":{"proc":"GET","status":"KV_OK","value":"c2V0IDA="}',
    );
    expect(edited).not.toBe(text);
    expect(() => parseTrace(edited, "t.jsonl")).toThrow(/:123: the "end" event's digest/);
  });
});

describe("a trace in which no call got a reply fails, even without a digest", () => {
  it.each(["replies-deleted-digest-stripped.jsonl", "header-and-end-digest-stripped.jsonl"])(
    "%s",
    async (name) => {
      const run = await dslab("check", `${DAMAGED}/${name}`);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(/^ {2}FAIL /);
      expect(run.stdout).toMatch(
        /evidence FAILED: No call got a reply \(\d+ sent\): nothing in this run could be judged/,
      );
      expect(run.stdout).toContain("unverified: the trace carries no digest");
    },
  );
});

describe("an honest trace", () => {
  it("the recorded one is read whole and judged as the live run was", async () => {
    const trace = await readTrace(RECORDED);
    expect(trace.header.digest).toBe("sha256");
    const judgement = judgeTrace(trace);
    expect(judgement.verdict).toBe("fail");
    expect(judgement).not.toHaveProperty("unverified");
    expect(judgement.checks.find((c) => c.property === "evidence")?.verdict).toBe("pass");
  });

  it("cut off before its end (an interrupted run) is read, and never passes", () => {
    const text = readFileSync(RECORDED, "utf8");
    const cut = text.slice(0, text.lastIndexOf('{"type":"end"') - 20);
    const judgement = judgeTrace(parseTrace(cut, "cut.jsonl"));
    expect(judgement.incomplete).toContain("no end event");
    expect(judgement.verdict).toBe("fail"); // its safety violations still stand
  });

  it("the writer's output reads back, the end event carrying the digest it wrote", async () => {
    const header = (await readTrace("fixtures/traces/rpc-cpp-reference-crash-after-ack.jsonl"))
      .header;
    const path = join(await tempDir("dslab-digest-"), "trace.jsonl");
    const writer = new TraceWriter(path, header as TraceHeader);
    writer.emit({ type: "node.log", t: 1, node: "n1", stream: "stdout", line: "héllo ✓" });
    writer.emit({ type: "end", t: 2, status: "completed" });
    writer.emit({ type: "node.log", t: 3, node: "n1", stream: "stdout", line: "too late" });
    const read = parseTrace(await readFile(path, "utf8"), path);
    expect(read.events.map((e) => e.type)).toEqual(["node.log", "end"]);
    expect(read.events.at(-1)).toEqual(writer.trace.events.at(-1));
    expect(writer.closed).toBe(true);
    await writeFile(path, (await readFile(path, "utf8")).replace("héllo", "hello"));
    expect(() => parseTrace(readFileSync(path, "utf8"), path)).toThrow(/:3: the "end" event's/);
  });
});
