import { describe, expect, it } from "vitest";
import {
  estimateRunMs,
  RUN_OVERHEAD_MS,
  runWallLimitMs,
  waitAfterHealMs,
} from "../src/lab/run-estimate.ts";
import { loadSubmission } from "../src/lab/run-lab.ts";
import {
  runScenario,
  type ScenarioResult,
  type ScenarioRunRequest,
} from "../src/lab/run-scenario.ts";
import { readTrace } from "../src/trace/reader.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();

/** Lab 1's clean scenario on the Python reference, with a limit of `wallLimitMs`. */
async function runCleanWithLimit(
  wallLimitMs: number,
  changes: Partial<ScenarioRunRequest> = {},
): Promise<ScenarioResult> {
  const loaded = await loadSubmission("rpc", "fixtures/rpc/python-reference");
  const scenario = loaded.definition.scenarios.find((s) => s.name === "clean");
  if (!scenario) throw new Error("lab 1 has no clean scenario");
  return runScenario({
    ...loaded,
    scenario,
    seed: 1,
    timeScale: 1,
    submissionPath: loaded.submission,
    buildDir: loaded.submission,
    runDir: await tempDir("dslab-wall-"),
    reproduce: "bin/dslab test rpc fixtures/rpc/python-reference --scenario clean --seed 1",
    signal: new AbortController().signal,
    wallLimitMs,
    ...changes,
  });
}

describe("the run's wall-clock limit", () => {
  it("stops a run that passes it and says so in the result and the trace", async () => {
    const started = Date.now();
    const result = await runCleanWithLimit(1_500);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.verdict).toBe("error");
    expect(result.harnessError).toMatch(/passed its wall-clock limit of 2 s and was stopped/);
    const trace = await readTrace(result.tracePath);
    expect(trace.events.at(-1)).toMatchObject({ type: "end", status: "aborted" });
  });

  it("ends a run whose workload hangs and ignores the abort, by the limit plus a grace", async () => {
    const { lab } = await loadSubmission("rpc", "fixtures/rpc/python-reference");
    // A stand-in for anything the run may wait on for ever (a wedged engine, a starved host).
    const hangs = { ...lab, run: () => new Promise<void>(() => {}) };
    const started = Date.now();
    const result = await runCleanWithLimit(3_000, { lab: hangs, abortGraceMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.verdict).toBe("error");
    expect(result.points).toBe(0);
    expect(result.harnessError).toMatch(/passed its wall-clock limit of 3 s and was stopped/);
    const trace = await readTrace(result.tracePath);
    expect(trace.events.at(-1)).toMatchObject({ type: "end", status: "aborted" });
    // The nodes it started were stopped, though the workload never returned.
    const stops = trace.events.filter((e) => e.type === "node.exit");
    expect(stops.length, JSON.stringify(trace.events.map((e) => e.type))).toBeGreaterThan(0);
  });

  it("leaves room for every bound a failing submission may wait out", async () => {
    const { definition } = await loadSubmission("consensus", "fixtures/consensus/cpp-reference");
    for (const scenario of definition.scenarios) {
      const bound = Number(scenario.params?.terminationBoundMs ?? 0);
      const limit = runWallLimitMs(definition, scenario, 1);
      expect(limit, scenario.name).toBeGreaterThan(estimateRunMs(definition, scenario, 1) + bound);
      expect(limit, scenario.name).toBeLessThan(10 * 60_000);
    }
  });

  it("adds lab 2's termination bound, scaled as the driver waits it out, to the limit only", async () => {
    const { definition } = await loadSubmission("consensus", "fixtures/consensus/cpp-reference");
    const clean = definition.scenarios.find((s) => s.name === "clean");
    if (!clean) throw new Error("lab 2 has no clean scenario");
    const scenario = { ...clean, params: { terminationBoundMs: 20_000 } };
    expect(waitAfterHealMs(definition, scenario, 0.5)).toBe(10_000);
    expect(waitAfterHealMs(definition, { ...scenario, params: {} }, 0.5)).toBe(15_000);
    // The budget's estimate is a correct run's, which hardly waits after the heal.
    const estimate = estimateRunMs(definition, scenario, 0.5);
    expect(estimate).toBe(4000 + RUN_OVERHEAD_MS);
    expect(runWallLimitMs(definition, scenario, 0.5)).toBe(3 * estimate + 10_000 + 120_000);
  });

  it("has no wait after the heal in lab 1", async () => {
    const { definition } = await loadSubmission("rpc", "fixtures/rpc/python-reference");
    for (const scenario of definition.scenarios) {
      expect(waitAfterHealMs(definition, scenario, 1), scenario.name).toBe(0);
    }
  });
});
