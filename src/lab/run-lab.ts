/**
 * `dslab test`: read the manifest, build once, run each selected scenario on each seed, write
 * summary.json (updated after every scenario, so an interrupted run leaves valid partial
 * results) and report as it goes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { buildSubmission } from "./build.ts";
import { loadLabDefinition, type ScenarioDefinition, selectScenarios } from "./definition.ts";
import { loadManifest } from "./manifest.ts";
import { labDriver } from "./registry.ts";
import { runScenario, type ScenarioResult } from "./run-scenario.ts";
import { HARNESS_VERSION } from "./version.ts";

export interface TestOptions {
  lab: string;
  submission: string;
  seeds: number[];
  scenarios: string[];
  timeScale: number;
  outDir: string;
  signal: AbortSignal;
  /** Progress and results, line by line. */
  log: (line: string) => void;
  onResult: (result: ScenarioResult) => void;
  /** How the user invoked dslab, for reproduce commands (e.g. "bin/dslab"). */
  command: string;
  /** A course file adjusting the lab (see loadLabDefinition); reproduce commands pass it on. */
  course?: string;
  /** Exactly these runs, in this order, instead of every seed × every selected scenario. */
  runs?: Array<{ scenario: string; seed: number }>;
  /** Asked right before each run (after the build); false skips it: it stays in notRun. */
  shouldStart?: (run: { scenario: ScenarioDefinition; seed: number }) => boolean;
}

export interface TestSummary {
  lab: string;
  submission: string;
  harnessVersion: string;
  startedAt: string;
  status: "running" | "completed" | "interrupted" | "build-failed";
  build?: { ok: boolean; durationMs: number; reason?: string; log: string };
  results: ScenarioResult[];
  /** Scenario runs that were asked for but did not run (interrupted): never counted as passed. */
  notRun: Array<{ scenario: string; seed: number }>;
  score: number;
  maxScore: number;
}

export class UsageError extends Error {}

function quoteArg(arg: string): string {
  return /^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

export async function runTests(options: TestOptions): Promise<TestSummary> {
  const submission = resolve(options.submission);
  const manifest = await loadManifest(submission);
  if (manifest.lab !== options.lab) {
    throw new UsageError(
      `${join(options.submission, "dslab.json")} says "lab": "${manifest.lab}", but you asked to test lab "${options.lab}"; run dslab test ${manifest.lab} ${options.submission} or fix the manifest`,
    );
  }
  const definition = await loadLabDefinition(options.lab, options.course);
  const driver = labDriver(options.lab);
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  const planned = options.runs
    ? options.runs.map(({ scenario, seed }) => {
        const [found] = selectScenarios(definition, [scenario]);
        return { scenario: found as ScenarioDefinition, seed };
      })
    : options.seeds.flatMap((seed) =>
        selectScenarios(definition, options.scenarios).map((scenario) => ({ scenario, seed })),
      );
  const summary: TestSummary = {
    lab: options.lab,
    submission,
    harnessVersion: HARNESS_VERSION,
    startedAt: new Date().toISOString(),
    status: "running",
    results: [],
    notRun: planned.map(({ scenario, seed }) => ({ scenario: scenario.name, seed })),
    score: 0,
    maxScore: planned.reduce((sum, { scenario }) => sum + scenario.points, 0),
  };
  const save = () =>
    writeFile(join(outDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await save();

  options.log(`building ${options.submission} (${manifest.build ?? "no build command"})`);
  const build = await buildSubmission(submission, manifest, outDir);
  summary.build = {
    ok: build.ok,
    durationMs: build.durationMs,
    log: build.logPath,
    ...(build.reason ? { reason: build.reason } : {}),
  };
  if (!build.ok) {
    summary.status = "build-failed";
    await save();
    options.log(
      `build FAILED: ${build.reason}\n${build.logTail.split("\n").slice(-20).join("\n")}`,
    );
    return summary;
  }
  options.log(`build ok (${(build.durationMs / 1000).toFixed(1)} s)`);

  for (const { scenario, seed } of planned) {
    if (options.signal.aborted) break;
    if (options.shouldStart && !options.shouldStart({ scenario, seed })) continue;
    options.log(`running ${scenario.name} (seed ${seed})...`);
    const reproduce = [
      options.command,
      "test",
      options.lab,
      quoteArg(options.submission),
      "--scenario",
      scenario.name,
      "--seed",
      String(seed),
      ...(options.course ? ["--course", quoteArg(options.course)] : []),
      ...(options.timeScale !== 1 ? ["--time-scale", String(options.timeScale)] : []),
    ].join(" ");
    const result = await runScenario({
      driver,
      definition,
      scenario,
      seed,
      timeScale: options.timeScale,
      submissionPath: submission,
      manifest,
      buildDir: build.dir,
      runDir: join(outDir, `${scenario.name}-seed${seed}`),
      reproduce,
      signal: options.signal,
    });
    const shown = relative(process.cwd(), result.tracePath);
    if (shown && !shown.startsWith("..")) result.tracePath = shown;
    summary.results.push(result);
    summary.notRun = summary.notRun.filter(
      (entry) => !(entry.scenario === scenario.name && entry.seed === seed),
    );
    summary.score += result.points;
    await save();
    options.onResult(result);
  }
  summary.status = options.signal.aborted ? "interrupted" : "completed";
  await save();
  return summary;
}
