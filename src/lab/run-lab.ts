/**
 * `dslab test`: read the manifest, build once, run each selected scenario on each seed, write
 * summary.json (updated after every scenario, so an interrupted run leaves valid partial
 * results) and report as it goes.
 */
import { writeFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { enterSandbox, sealFromSandbox } from "../host/sandbox.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";
import type { ScheduledFault, TraceEvent } from "../trace/events.ts";
import { BUILD_TIME_LIMIT_MS, buildSubmission } from "./build.ts";
import {
  type LabDefinition,
  loadLabDefinition,
  type ScenarioDefinition,
  selectScenarios,
} from "./definition.ts";
import type { Lab } from "./lab.ts";
import type { Manifest } from "./manifest.ts";
import { loadManifest } from "./manifest.ts";
import { prepareOutDir } from "./out-dir.ts";
import { describeSandbox } from "./protections.ts";
import { findLab } from "./registry.ts";
import { runPool } from "./run-pool.ts";
import { runScenario, type ScenarioResult } from "./run-scenario.ts";
import { UsageError } from "./usage-error.ts";
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
  /** A fault schedule to run instead of the seed's (from `dslab shrink`), and its file. */
  schedule?: { faults: ScheduledFault[]; file: string };
  /** Where nodes (and the build) run; default process. */
  runtime?: RuntimeKind;
  /** Asked right before each run (after the build); false skips it: it stays in notRun. */
  shouldStart?: (run: { scenario: ScenarioDefinition; seed: number }) => boolean;
  /** Called once the output folder is ready (absolute path), before the build. */
  onOutDirReady?: (outDir: string) => Promise<void>;
  /** How many runs go at once (default 1); they share the build and the sandbox. */
  jobs?: number;
  /**
   * false: a passing run's folder is removed once it is counted (its tracePath becomes ""), so
   * hunting a flaky failure over many seeds keeps only the traces worth opening. Default true.
   */
  keepPassingRuns?: boolean;
  /** Each run's start and every event it records, as they happen (a live status line). */
  onRunStart?: (run: RunKey) => void;
  onRunEvent?: (run: RunKey, event: TraceEvent) => void;
}

/** One scenario run of a `dslab test`. */
export interface RunKey {
  scenario: string;
  seed: number;
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

export function quoteArg(arg: string): string {
  return /^[\w./:=@-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

export interface LoadedSubmission {
  /** Absolute path of the submission directory. */
  submission: string;
  manifest: Manifest;
  definition: LabDefinition;
  lab: Lab;
}

/** The submission's manifest, checked against the lab asked for, with that lab's definition. */
export async function loadSubmission(
  lab: string,
  submissionPath: string,
  course?: string,
): Promise<LoadedSubmission> {
  const submission = resolve(submissionPath);
  const manifest = await loadManifest(submission);
  if (manifest.lab !== lab) {
    throw new UsageError(
      `${join(submissionPath, "dslab.json")} says "lab": "${manifest.lab}", but you asked to test lab "${lab}"; run dslab test ${manifest.lab} ${submissionPath} or fix the manifest`,
    );
  }
  const definition = await loadLabDefinition(lab, course);
  return { submission, manifest, definition, lab: findLab(lab) };
}

export async function runTests(options: TestOptions): Promise<TestSummary> {
  const { submission, manifest, definition, lab } = await loadSubmission(
    options.lab,
    options.submission,
    options.course,
  );
  const outDir = await prepareOutDir(options.outDir, [submission]);
  await options.onOutDirReady?.(outDir);
  if (options.runtime === "docker") {
    await (await import("../host/docker-engine.ts")).ensureDockerReady(options.log);
  } else {
    options.log(describeSandbox(await enterSandbox(outDir)));
  }
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
  const summaryPath = join(outDir, "summary.json");
  const summaryText = () => `${JSON.stringify(summary, null, 2)}\n`;
  // One write at a time: runs going at once (--jobs) finish together, and two writes of one
  // file at once could interleave.
  let saved: Promise<void> = Promise.resolve();
  const save = () => {
    saved = saved.then(() => writeFile(summaryPath, summaryText()));
    return saved;
  };
  await save();
  // A forced quit (a second Ctrl-C, the cleanup's grace run out) exits mid-run, past every
  // await below: the summary still says the run was interrupted, never "running".
  const onExit = () => {
    if (summary.status !== "running") return;
    summary.status = "interrupted";
    writeFileSync(summaryPath, summaryText());
  };
  process.once("exit", onExit);
  try {
    options.log(`building ${options.submission} (${manifest.build ?? "no build command"})`);
    const build =
      options.runtime === "docker"
        ? await (await import("../runtime/docker-build.ts")).buildSubmissionInContainer(
            submission,
            manifest,
            outDir,
            BUILD_TIME_LIMIT_MS,
            options.signal,
          )
        : await buildSubmission(submission, manifest, outDir, BUILD_TIME_LIMIT_MS, options.signal);
    if (options.signal.aborted) {
      // Ctrl-C during the build: an interruption, not the submission's build failure.
      summary.status = "interrupted";
      await save();
      options.log("interrupted during the build");
      return summary;
    }
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

    const runOne = async ({ scenario, seed }: (typeof planned)[number]) => {
      if (options.shouldStart && !options.shouldStart({ scenario, seed })) return;
      options.log(`running ${scenario.name} (seed ${seed})...`);
      const key = { scenario: scenario.name, seed };
      options.onRunStart?.(key);
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
        ...(options.runtime && options.runtime !== "process" ? ["--runtime", options.runtime] : []),
        ...(options.schedule ? ["--schedule", quoteArg(options.schedule.file)] : []),
      ].join(" ");
      const result = await runScenario({
        lab,
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
        ...(options.schedule ? { schedule: options.schedule.faults } : {}),
        ...(options.runtime ? { runtime: options.runtime } : {}),
        ...(options.onRunEvent
          ? { onEvent: (event: TraceEvent) => options.onRunEvent?.(key, event) }
          : {}),
      });
      const shown = relative(process.cwd(), result.tracePath);
      if (shown && !shown.startsWith("..")) result.tracePath = shown;
      if (options.keepPassingRuns === false && result.verdict === "pass") {
        await rm(join(outDir, `${scenario.name}-seed${seed}`), { recursive: true, force: true });
        result.tracePath = "";
      }
      summary.results.push(result);
      summary.notRun = summary.notRun.filter(
        (entry) => !(entry.scenario === scenario.name && entry.seed === seed),
      );
      summary.score += result.points;
      await save();
      options.onResult(result);
    };
    await runPool(planned, options.jobs ?? 1, options.signal, runOne);
    // Runs finish in any order with several jobs; the summary lists them as planned.
    const position = new Map(
      planned.map((run, index) => [`${run.scenario.name}@${run.seed}`, index]),
    );
    const order = (result: ScenarioResult) =>
      position.get(`${result.scenario}@${result.seed}`) ?? 0;
    summary.results.sort((a, b) => order(a) - order(b));
    summary.status = options.signal.aborted ? "interrupted" : "completed";
    await save();
    return summary;
  } finally {
    process.removeListener("exit", onExit);
    await sealFromSandbox(outDir);
  }
}
