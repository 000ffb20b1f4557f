import { describe, expect, it } from "vitest";
import { estimateRunMs, runWallLimitMs } from "../src/lab/run-estimate.ts";
import { loadSubmission } from "../src/lab/run-lab.ts";
import { runScenario } from "../src/lab/run-scenario.ts";
import { readTrace } from "../src/trace/reader.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();

describe("the run's wall-clock limit", () => {
  it("stops a run that passes it and says so in the result and the trace", async () => {
    const loaded = await loadSubmission("rpc", "fixtures/rpc/python-reference");
    const scenario = loaded.definition.scenarios.find((s) => s.name === "clean");
    if (!scenario) throw new Error("lab 1 has no clean scenario");
    const dir = await tempDir("dslab-wall-");
    const started = Date.now();
    const result = await runScenario({
      ...loaded,
      scenario,
      seed: 1,
      timeScale: 1,
      submissionPath: loaded.submission,
      buildDir: loaded.submission,
      runDir: dir,
      reproduce: "bin/dslab test rpc fixtures/rpc/python-reference --scenario clean --seed 1",
      signal: new AbortController().signal,
      wallLimitMs: 1_500,
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.verdict).toBe("error");
    expect(result.harnessError).toMatch(/passed its wall-clock limit of 2 s and was stopped/);
    const trace = await readTrace(result.tracePath);
    expect(trace.events.at(-1)).toMatchObject({ type: "end", status: "aborted" });
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
});
