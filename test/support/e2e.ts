/** Runs a lab's scenarios on a fixture in-process, as `dslab test` does, for end-to-end tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { runTests, type TestSummary } from "../../src/lab/run-lab.ts";
import type { ScenarioResult } from "../../src/lab/run-scenario.ts";
import type { RuntimeKind } from "../../src/runtime/infrastructure.ts";

/** Halves every duration: the suite stays within CI's time while every scenario still runs. */
export const TIME_SCALE = 0.5;

/** A runner for one lab whose output directories are removed after the test file. */
export function fixtureRunner(
  lab: string,
  timeScale = TIME_SCALE,
  runtime: RuntimeKind = "process",
) {
  const outDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (
    submission: string,
    scenarios: string[],
    seed: number,
    signal = new AbortController().signal,
  ): Promise<TestSummary> => {
    const outDir = await mkdtemp(join(tmpdir(), "dslab-e2e-"));
    outDirs.push(outDir);
    return runTests({
      lab,
      submission: `fixtures/${lab}/${submission}`,
      seeds: [seed],
      scenarios,
      timeScale,
      runtime,
      outDir,
      signal,
      log: () => undefined,
      onResult: () => undefined,
      command: "bin/dslab",
    });
  };
}

/** What did not pass, and why, for assertion messages. */
export function explain(results: ScenarioResult[]): string {
  return results
    .filter((r) => r.verdict !== "pass")
    .map(
      (r) =>
        `${r.scenario}: ${r.verdict} ${r.harnessError ?? ""} ${r.checks
          .filter((c) => c.verdict === "fail" || c.verdict === "unknown")
          .map((c) => `${c.property}: ${c.summary}`)
          .join("; ")}`,
    )
    .join("\n");
}

export const verdictOf = (result: ScenarioResult | undefined, property: string) =>
  result?.checks.find((check) => check.property === property)?.verdict;

type FixtureRun = ReturnType<typeof fixtureRunner>;

/**
 * A bug fixture run on its aimed scenarios from seed `from` until `fails` fails (up to seed
 * `to`: a bug whose exposure races the protocol gets several tries), then the failure checked:
 * a failed verdict (an "error" is the harness's), evidence naming events, and a reproduce
 * command for that scenario and seed.
 */
export async function expectCaught(
  run: FixtureRun,
  lab: string,
  bug: { fixture: string; scenarios: string[]; fails: string },
  seeds: { from: number; to: number },
): Promise<ScenarioResult[]> {
  const { fixture, scenarios, fails } = bug;
  let summary = await run(fixture, scenarios, seeds.from);
  for (
    let seed = seeds.from + 1;
    seed <= seeds.to && summary.results.every((r) => verdictOf(r, fails) !== "fail");
    seed++
  ) {
    summary = await run(fixture, scenarios, seed);
  }
  const failed = summary.results.filter((r) => verdictOf(r, fails) === "fail");
  expect(failed.length, explain(summary.results)).toBeGreaterThan(0);
  for (const result of failed) {
    expect(result.verdict, explain([result])).toBe("fail");
    const check = result.checks.find((c) => c.property === fails);
    expect(check?.evidence[0]?.events.length).toBeGreaterThan(0);
    expect(result.reproduce).toBe(
      `bin/dslab test ${lab} fixtures/${lab}/${fixture} --scenario ${result.scenario} --seed ${result.seed}`,
    );
  }
  return failed;
}
