/**
 * Every scenario's verdict for every fixture of a lab, one line each, for comparing two dslab
 * versions on the same seeds (diff the outputs of both): fixture, scenario, seed, verdict, and
 * the properties that failed or were unknown.
 * Usage: node bench/verdicts.ts <lab> <seeds, e.g. 1,2> [fixture names (default: all)...]
 * Environment: OUT=dir (kept; a temporary directory otherwise), TIME_SCALE (default 1),
 *   SCENARIOS=a,b (only those scenarios).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "../src/lab/run-lab.ts";

const [lab, seedsArg, ...named] = process.argv.slice(2);
if (!lab || !seedsArg) throw new Error("usage: node bench/verdicts.ts <lab> <seeds> [fixtures...]");
const seeds = seedsArg.split(",").map(Number);
const fixtures =
  named.length > 0
    ? named
    : (await readdir(join("fixtures", lab), { withFileTypes: true }))
        .filter((e) => e.isDirectory() && existsSync(join("fixtures", lab, e.name, "dslab.json")))
        .map((e) => e.name)
        .sort();
const outDir = process.env.OUT ?? (await mkdtemp(join(tmpdir(), "dslab-verdicts-")));
for (const fixture of fixtures) {
  const summary = await runTests({
    lab,
    submission: join("fixtures", lab, fixture),
    seeds,
    scenarios: (process.env.SCENARIOS ?? "").split(",").filter(Boolean),
    timeScale: Number(process.env.TIME_SCALE ?? 1),
    runtime: "process",
    outDir: join(outDir, fixture),
    signal: new AbortController().signal,
    log: () => undefined,
    onResult: () => undefined,
    command: "bin/dslab",
  });
  if (summary.status !== "completed") {
    console.log(`${fixture}\t-\t-\t${summary.status}\t${summary.build?.reason ?? ""}`);
    continue;
  }
  for (const result of summary.results) {
    const notPassed = result.checks
      .filter((check) => check.verdict === "fail" || check.verdict === "unknown")
      .map((check) => `${check.property}:${check.verdict}`)
      .sort();
    console.log(
      `${fixture}\t${result.scenario}\t${result.seed}\t${result.verdict}\t${notPassed.join(",") || "-"}`,
    );
  }
}
