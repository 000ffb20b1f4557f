/**
 * Shrinking a real failing run: bug-memory-only under the "mixed" schedule (9 faults on seed 1)
 * shrinks to a schedule with fewer faults that still loses data, and replaying it with
 * --schedule fails again.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseScheduleFile, shrinkTrace } from "../src/shrink/shrink.ts";
import { readTrace } from "../src/trace/reader.ts";
import { fixtureRunner } from "./support/e2e.ts";

const run = fixtureRunner("rpc");
const work: string[] = [];
afterAll(async () => {
  await Promise.all(work.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("dslab shrink", () => {
  it("reduces a failing schedule and the small one still fails when replayed", async () => {
    const original = await run("bug-memory-only", ["crash-restart", "mixed"], 1);
    const failing = original.results.find((r) => r.verdict === "fail" && r.faults > 1);
    expect(failing, "a run with several faults that fails").toBeDefined();
    const trace = await readTrace(failing?.tracePath ?? "");
    const outDir = await mkdtemp(join(tmpdir(), "dslab-shrink-"));
    work.push(outDir);
    const outcome = await shrinkTrace({
      trace,
      outDir,
      maxRuns: 12,
      command: "bin/dslab",
      signal: new AbortController().signal,
      log: () => undefined,
    });
    expect(outcome.before).toBe(trace.header.schedule.length);
    expect(outcome.after).toBeLessThan(outcome.before);
    expect(outcome.witness?.verdict).toBe("fail");
    const schedule = parseScheduleFile(await readFile(outcome.scheduleFile, "utf8"), "schedule");
    expect(schedule).toHaveLength(outcome.after);
    expect(outcome.reproduce).toContain(`--schedule ${outcome.scheduleFile}`);
    // The witness is the replay: its trace header holds exactly the small schedule.
    const witness = await readTrace(outcome.witness?.tracePath ?? "");
    expect(witness.header.schedule).toEqual(schedule);
  });

  it("refuses a trace that breaks nothing", async () => {
    const outDir = await mkdtemp(join(tmpdir(), "dslab-shrink-"));
    work.push(outDir);
    const passing = await readTrace("fixtures/traces/rpc-cpp-reference-crash-after-ack.jsonl");
    await expect(
      shrinkTrace({
        trace: {
          ...passing,
          header: {
            ...passing.header,
            submission: { ...passing.header.submission, path: "fixtures/rpc/cpp-reference" },
          },
        },
        outDir,
        maxRuns: 2,
        command: "bin/dslab",
        signal: new AbortController().signal,
        log: () => undefined,
      }),
    ).rejects.toThrow(/breaks no property/);
  });
});
