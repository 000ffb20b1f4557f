/**
 * SIGINT and SIGTERM to `dslab test` (process runtime) in the middle of a scenario with faults:
 * exit 130 after cleanup, an interrupted summary whose cut run is interrupted (never a harness
 * error: the final heal still has its Toxiproxy), and no process of the run left. SIGKILL
 * leaves no process either: the reaper's watchdog takes them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { TestSummary } from "../src/lab/run-lab.ts";
import { taggedLeftAfter } from "./support/processes.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const SCENARIO = "mixed";
/** Cleanup after a signal is bounded (abortOnSignals' grace); this leaves room for a loaded machine. */
const EXIT_WITHIN_MS = 35_000;

interface Harness {
  child: ChildProcess;
  pid: number;
  outDir: string;
  ended: Promise<number | NodeJS.Signals | null>;
  output: () => string;
}

async function startMidScenario(): Promise<Harness> {
  const outDir = await tempDir("dslab-interrupt-");
  const child = spawn(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      resolve("src/cli/main.ts"),
      "test",
      "rpc",
      "fixtures/rpc/python-reference",
      "--scenario",
      SCENARIO,
      "--seed",
      "1",
      "--out",
      outDir,
    ],
    {
      env: {
        ...process.env,
        DSLAB_TOXIPROXY: process.env.DSLAB_TOXIPROXY ?? resolve(".tools/bin/toxiproxy-server"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const ended = new Promise<number | NodeJS.Signals | null>((done) =>
    child.once("exit", (code, signal) => done(code ?? signal)),
  );
  if (child.pid === undefined) throw new Error("dslab did not start");
  // Mid-scenario: a fault is in force, so the interruption must heal through Toxiproxy.
  const trace = join(outDir, `${SCENARIO}-seed1`, "trace.jsonl");
  const deadline = Date.now() + 60_000;
  while (!(await readFile(trace, "utf8").catch(() => "")).includes('"nemesis.start"')) {
    if (Date.now() > deadline) throw new Error(`no fault started within 60 s:\n${output}`);
    await sleep(100);
  }
  return { child, pid: child.pid, outDir, ended, output: () => output };
}

async function exitWithin(harness: Harness, limitMs: number) {
  const timeout = sleep(limitMs, "still running");
  const ended = await Promise.race([harness.ended, timeout]);
  if (ended === "still running") harness.child.kill("SIGKILL");
  return ended;
}

describe("an interrupted dslab test", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s: exits 130, the run is interrupted (not a harness error), nothing is left",
    { timeout: 120_000 },
    async (signal) => {
      const harness = await startMidScenario();
      harness.child.kill(signal);
      expect(await exitWithin(harness, EXIT_WITHIN_MS), harness.output()).toBe(130);

      const summary = JSON.parse(
        await readFile(join(harness.outDir, "summary.json"), "utf8"),
      ) as TestSummary;
      expect(summary.status).toBe("interrupted");
      const result = summary.results[0];
      expect(result, harness.output()).toMatchObject({ scenario: SCENARIO, interrupted: true });
      expect(result?.verdict).not.toBe("error");
      expect(result?.harnessError).toBeUndefined();
      const onDisk = await readFile(
        join(harness.outDir, `${SCENARIO}-seed1`, "result.json"),
        "utf8",
      );
      expect(onDisk).not.toMatch(/toxiproxy|nemesis failed/i);
      expect(await taggedLeftAfter(harness.pid, 5_000)).toEqual([]);
    },
  );

  it("a second SIGINT quits at once, and the summary still says interrupted", {
    timeout: 120_000,
  }, async () => {
    const harness = await startMidScenario();
    harness.child.kill("SIGINT");
    await sleep(50);
    harness.child.kill("SIGINT");
    expect(await exitWithin(harness, EXIT_WITHIN_MS), harness.output()).toBe(130);
    const summary = JSON.parse(
      await readFile(join(harness.outDir, "summary.json"), "utf8"),
    ) as TestSummary;
    expect(summary.status).toBe("interrupted");
    expect(summary.notRun).toEqual([{ scenario: SCENARIO, seed: 1 }]);
    expect(await taggedLeftAfter(harness.pid, 5_000)).toEqual([]);
  });

  it("SIGKILL: the watchdog takes every process of the run", { timeout: 120_000 }, async () => {
    const harness = await startMidScenario();
    harness.child.kill("SIGKILL");
    await harness.ended;
    expect(await taggedLeftAfter(harness.pid, 5_000)).toEqual([]);
  });
});
