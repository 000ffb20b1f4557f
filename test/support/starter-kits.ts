/** `dslab init` then a first `dslab test`, shared by the kit tests of both runtimes. */
import { join, resolve } from "node:path";
import { execa } from "execa";
import { expect } from "vitest";
import type { TestSummary } from "../../src/lab/run-lab.ts";

const MAIN = resolve("src/cli/main.ts");

export const dslab = (...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], {
    reject: false,
    timeout: 240_000,
    env: { CI: "true" },
  });

/** What an empty server gets in one scenario of each lab, and the first message it reads. */
export const FIRST_RUNS = [
  {
    lab: "rpc",
    scenario: "clean",
    timeScale: "0.5",
    verdict: "fail",
    property: "progress",
    message: /op 1 \(BOOT\) by c1 did not succeed.*PROC_UNAVAIL/,
  },
  {
    lab: "kvr",
    scenario: "clean",
    timeScale: "0.25",
    verdict: "fail",
    property: "wire-conformance",
    message: /PROC_UNAVAIL \(the server does not implement that procedure\)/,
  },
  {
    lab: "consensus",
    scenario: "clean",
    timeScale: "0.25",
    verdict: "unknown",
    property: "termination",
    message: /No node acknowledged any proposal/,
  },
  {
    lab: "counter",
    scenario: "slow-links",
    timeScale: "0.5",
    verdict: "unknown",
    property: "linearizable",
    message:
      /No ADD or READ got a SUCCESS reply \(\d+ were refused with an RPC error, e\.g\. PROC_UNAVAIL/,
  },
] as const;

/** `dslab init` then `dslab test --json` on one scenario: the summary, and how init went. */
export async function initAndTest(
  tempDir: (prefix: string) => Promise<string>,
  run: (typeof FIRST_RUNS)[number],
  language: string,
  runtime = "process",
): Promise<{ initOutput: string; summary: TestSummary; exitCode: number | undefined }> {
  const dir = join(await tempDir("dslab-kit-"), "kit");
  const init = await dslab("init", run.lab, dir, "--lang", language);
  expect(init.exitCode, init.stderr).toBe(0);
  const test = await dslab(
    "test",
    run.lab,
    dir,
    "--scenario",
    run.scenario,
    "--seed",
    "1",
    "--time-scale",
    run.timeScale,
    "--runtime",
    runtime,
    "--json",
    "--out",
    join(dir, "..", "out"),
  );
  return {
    initOutput: init.stdout,
    summary: JSON.parse(test.stdout) as TestSummary,
    exitCode: test.exitCode,
  };
}

export function expectHelpfulFirstVerdict(
  run: (typeof FIRST_RUNS)[number],
  summary: TestSummary,
  exitCode: number | undefined,
): void {
  expect(summary.build?.ok, summary.build?.reason).toBe(true);
  expect(exitCode).toBe(1);
  const [result] = summary.results;
  expect(result?.harnessError).toBeUndefined();
  expect(result?.verdict).toBe(run.verdict);
  const first = result?.checks.find(
    (check) => check.verdict === "fail" || check.verdict === "unknown",
  );
  expect(first?.property).toBe(run.property);
  expect(first?.summary).toMatch(run.message);
}
