/**
 * How often each fixture is caught: for every bug fixture and reference of a lab, the share of
 * full-suite runs (every scenario, one seed each) that fail, over consecutive seeds. A bug
 * fixture must fail (nearly) every run; a reference must fail none. Which properties failed,
 * and harness errors (never the submission's), are counted apart. Slow: lab 2's suite takes
 * about 2 minutes a seed, lab 1's about 4 at time scale 1.
 * Usage: node bench/detection-rate.ts <lab> [seeds (default 20)] [first seed (default 1)]
 *          [fixture names (default: every submission in fixtures/<lab>)...]
 * Environment: RUNTIME=docker (default process), TIME_SCALE (default 1), OUT=dir (kept),
 *   SCENARIOS=a,b (only those scenarios: how often each one alone catches a bug, minutes
 *   instead of hours), FIRST_FAILURE=1 (a seed's scenarios one at a time, those that caught
 *   the fixture most often on earlier seeds first, stopping at the first failure: a run fails
 *   if any scenario does, so the count is the same, and a bug costs one scenario a seed; the
 *   table then says which scenario caught it), PROPERTY=name (a run counts as caught only when
 *   that property fails: how often a fixture fails its own property; with FIRST_FAILURE a seed
 *   stops at the first scenario where it does).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_SEED } from "../src/cli/seed.ts";
import { loadLabDefinition } from "../src/lab/definition.ts";
import { runTests } from "../src/lab/run-lab.ts";
import type { ScenarioResult } from "../src/lab/run-scenario.ts";
import { RUNTIME_KINDS, type RuntimeKind } from "../src/runtime/infrastructure.ts";

const [labArg, seedsArg = "20", firstArg = "1", ...named] = process.argv.slice(2);
if (!labArg)
  throw new Error("usage: node bench/detection-rate.ts <lab> [seeds] [first seed] [fixtures...]");
const lab: string = labArg;
const seedCount = Number(seedsArg);
const firstSeed = Number(firstArg);
if (
  !Number.isInteger(seedCount) ||
  seedCount < 1 ||
  !Number.isInteger(firstSeed) ||
  firstSeed < 0 ||
  firstSeed + seedCount - 1 > MAX_SEED
) {
  throw new Error(
    `seeds ${seedsArg} from ${firstArg}: whole numbers, the last seed at most ${MAX_SEED}`,
  );
}
const runtime = (process.env.RUNTIME ?? "process") as RuntimeKind;
if (!RUNTIME_KINDS.includes(runtime))
  throw new Error(`RUNTIME must be one of ${RUNTIME_KINDS.join(", ")}`);
const timeScale = Number(process.env.TIME_SCALE ?? 1);
const scenarios = (process.env.SCENARIOS ?? "").split(",").filter(Boolean);
const firstFailure = process.env.FIRST_FAILURE === "1";
const property = process.env.PROPERTY;
/** Whether these failed properties catch the fixture. */
const catches = (failed: string[]) =>
  property === undefined ? failed.length > 0 : failed.includes(property);
const fixtures =
  named.length > 0
    ? named
    : (await readdir(join("fixtures", lab), { withFileTypes: true }))
        .filter(
          (entry) =>
            entry.isDirectory() && existsSync(join("fixtures", lab, entry.name, "dslab.json")),
        )
        .map((entry) => entry.name)
        .sort();
const seeds = Array.from({ length: seedCount }, (_, i) => firstSeed + i);
const outDir = process.env.OUT ?? (await mkdtemp(join(tmpdir(), "dslab-detection-")));

/** What one seed's full suite showed: failed properties, or the harness's own trouble. */
function verdictOfSeed(results: ScenarioResult[]): { failed: string[]; harness: boolean } {
  const failed = new Set<string>();
  for (const result of results) {
    for (const check of result.checks) if (check.verdict === "fail") failed.add(check.property);
  }
  return { failed: [...failed].sort(), harness: results.some((r) => r.verdict === "error") };
}

console.log(
  `lab ${lab}, ${runtime} runtime, time scale ${timeScale}, seeds ${seeds[0]}..${seeds.at(-1)}, scenarios ${scenarios.join(", ") || "all"}${property ? `, caught when ${property} fails` : ""}, output ${outDir}`,
);
console.log(
  `${"fixture".padEnd(28)} ${"failed".padStart(8)} ${"errors".padStart(7)}  properties that failed (runs)`,
);
/** Runs these scenarios (all if empty) of the fixture on these seeds. */
function run(fixture: string, seedsToRun: number[], only: string[], out: string) {
  return runTests({
    lab,
    submission: join("fixtures", lab, fixture),
    seeds: seedsToRun,
    scenarios: only,
    timeScale,
    runtime,
    outDir: out,
    signal: new AbortController().signal,
    log: () => undefined,
    onResult: () => undefined,
    command: "bin/dslab",
  });
}

/**
 * Each seed's scenarios one at a time until one fails, those that caught the fixture on
 * earlier seeds first; returns every result run, or why the fixture could not be run.
 */
async function runUntilCaught(
  fixture: string,
): Promise<{ results: ScenarioResult[]; caughtBy: Map<string, number> } | string> {
  const names =
    scenarios.length > 0
      ? scenarios
      : (await loadLabDefinition(lab)).scenarios.map((scenario) => scenario.name);
  const caughtBy = new Map<string, number>();
  const results: ScenarioResult[] = [];
  for (const seed of seeds) {
    const order = [...names].sort((a, b) => (caughtBy.get(b) ?? 0) - (caughtBy.get(a) ?? 0));
    for (const name of order) {
      const summary = await run(fixture, [seed], [name], join(outDir, fixture, `${name}-${seed}`));
      if (summary.status !== "completed") return `${summary.status} ${summary.build?.reason ?? ""}`;
      results.push(...summary.results);
      if (catches(verdictOfSeed(summary.results).failed)) {
        caughtBy.set(name, (caughtBy.get(name) ?? 0) + 1);
        break;
      }
    }
  }
  return { results, caughtBy };
}

for (const fixture of fixtures) {
  let results: ScenarioResult[];
  let caughtBy: Map<string, number> | undefined;
  if (firstFailure) {
    const outcome = await runUntilCaught(fixture);
    if (typeof outcome === "string") {
      console.log(`${fixture.padEnd(28)} ${outcome}`);
      continue;
    }
    ({ results, caughtBy } = outcome);
  } else {
    const summary = await run(fixture, seeds, scenarios, join(outDir, fixture));
    if (summary.status !== "completed") {
      console.log(
        `${fixture.padEnd(28)} ${summary.status}${summary.build?.reason ? `: ${summary.build.reason}` : ""}`,
      );
      continue;
    }
    results = summary.results;
  }
  const properties = new Map<string, number>();
  let failedRuns = 0;
  let harnessRuns = 0;
  for (const seed of seeds) {
    const { failed, harness } = verdictOfSeed(results.filter((r) => r.seed === seed));
    if (catches(failed)) failedRuns++;
    if (harness) harnessRuns++;
    for (const name of failed) properties.set(name, (properties.get(name) ?? 0) + 1);
  }
  const shown = [...properties].map(([name, runs]) => `${name} (${runs})`).join(", ");
  const by = caughtBy
    ? `; caught by ${[...caughtBy].map(([name, runs]) => `${name} (${runs})`).join(", ") || "-"}`
    : "";
  console.log(
    `${fixture.padEnd(28)} ${`${failedRuns}/${seeds.length}`.padStart(8)} ${String(harnessRuns).padStart(7)}  ${shown || "-"}${by}`,
  );
}
