/**
 * `dslab shrink <trace>`: re-runs a failing scenario with smaller fault schedules until it finds
 * a small one that still breaks a property the original run broke, then writes that schedule
 * and prints the command that replays it. A student debugs the small story, not the big one.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { enterSandbox } from "../host/sandbox.ts";
import { buildSubmission } from "../lab/build.ts";
import { selectScenarios } from "../lab/definition.ts";
import { prepareOutDir } from "../lab/out-dir.ts";
import { describeSandbox } from "../lab/protections.ts";
import { loadSubmission, quoteArg } from "../lab/run-lab.ts";
import { runCheckers, runScenario, type ScenarioResult } from "../lab/run-scenario.ts";
import { UsageError } from "../lab/usage-error.ts";
import { describeFault } from "../net/describe-fault.ts";
import type { ScheduledFault, Trace } from "../trace/events.ts";
import { minimizeFailing } from "./minimize.ts";

export interface ShrinkOptions {
  trace: Trace;
  outDir: string;
  maxRuns: number;
  command: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface ShrinkOutcome {
  properties: string[];
  before: number;
  after: number;
  runs: number;
  complete: boolean;
  scheduleFile: string;
  reproduce: string;
  /** The last run that failed with the smallest schedule. */
  witness?: ScenarioResult;
}

/** Stable periods are not faults: they stay, whatever is removed. */
const isFault = (s: ScheduledFault) => s.fault.kind !== "stable";

export async function shrinkTrace(options: ShrinkOptions): Promise<ShrinkOutcome> {
  const { header } = options.trace;
  const loaded = await loadSubmission(header.lab, header.submission.path);
  const failing = runCheckers(loaded.lab.checkers, options.trace)
    .filter((check) => check.verdict === "fail")
    .map((check) => check.property);
  if (failing.length === 0) {
    throw new UsageError(
      `this trace (${header.lab} / ${header.scenario} / seed ${header.seed}) breaks no property: there is nothing to shrink`,
    );
  }
  const [scenario] = selectScenarios(loaded.definition, [header.scenario]);
  if (!scenario) throw new UsageError(`lab ${header.lab} has no scenario ${header.scenario}`);
  const outDir = await prepareOutDir(options.outDir, [loaded.submission]);
  // Its runs are the process runtime's: the same sandbox as `dslab test`.
  options.log(describeSandbox(await enterSandbox(outDir)));
  options.log(`building ${header.submission.path} once for every attempt`);
  const build = await buildSubmission(loaded.submission, loaded.manifest, outDir);
  if (!build.ok) throw new UsageError(`the submission no longer builds: ${build.reason}`);

  const kept = header.schedule.filter((s) => !isFault(s));
  const faults = header.schedule.filter(isFault);
  const scheduleFile = join(outDir, "schedule.json");
  const reproduce = [
    options.command,
    "test",
    header.lab,
    quoteArg(header.submission.path),
    "--scenario",
    header.scenario,
    "--seed",
    String(header.seed),
    ...(header.timeScale !== 1 ? ["--time-scale", String(header.timeScale)] : []),
    "--schedule",
    quoteArg(scheduleFile),
  ].join(" ");
  let witness: ScenarioResult | undefined;
  let attempt = 0;
  const stillFails = async (subset: ScheduledFault[]): Promise<boolean> => {
    if (options.signal.aborted) return false;
    attempt++;
    const result = await runScenario({
      lab: loaded.lab,
      definition: loaded.definition,
      scenario,
      seed: header.seed,
      timeScale: header.timeScale,
      submissionPath: loaded.submission,
      manifest: loaded.manifest,
      buildDir: build.dir,
      runDir: join(outDir, `attempt-${attempt}`),
      reproduce,
      signal: options.signal,
      schedule: [...kept, ...subset].sort((a, b) => a.atMs - b.atMs),
    });
    const failed = result.checks.some(
      (check) => check.verdict === "fail" && failing.includes(check.property),
    );
    options.log(
      `attempt ${attempt}: ${subset.length} fault${subset.length === 1 ? "" : "s"}: ${failed ? "still fails" : "passes"}`,
    );
    if (failed && (!witness || subset.length <= witness.schedule.length)) witness = result;
    return failed;
  };
  const result = await minimizeFailing(faults, { stillFails, maxRuns: options.maxRuns });
  const minimal = [...kept, ...result.minimal].sort((a, b) => a.atMs - b.atMs);
  await writeFile(scheduleFile, `${JSON.stringify(minimal, null, 2)}\n`);
  options.log(
    `smallest failing schedule: ${result.minimal.length} of ${faults.length} faults${result.minimal.length > 0 ? `: ${result.minimal.map((s) => `at ${s.atMs} ms for ${s.durationMs} ms: ${describeFault(s.fault)}`).join("; ")}` : ""}`,
  );
  return {
    properties: failing,
    before: faults.length,
    after: result.minimal.length,
    runs: result.runs,
    complete: result.complete,
    scheduleFile,
    reproduce,
    ...(witness ? { witness } : {}),
  };
}

/** Reads a schedule written by `dslab shrink` (for `dslab test --schedule`). */
export function parseScheduleFile(text: string, file: string): ScheduledFault[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${file} is not JSON (${String(error)}); pass a schedule written by dslab shrink`,
    );
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (entry: unknown) =>
        typeof entry === "object" &&
        entry !== null &&
        typeof (entry as ScheduledFault).atMs === "number" &&
        typeof (entry as ScheduledFault).durationMs === "number" &&
        typeof (entry as ScheduledFault).id === "number" &&
        typeof (entry as ScheduledFault).fault?.kind === "string",
    );
  if (!valid) {
    throw new UsageError(
      `${file} is not a fault schedule (an array of {id, atMs, durationMs, fault}); pass a schedule written by dslab shrink`,
    );
  }
  return parsed as ScheduledFault[];
}
