/**
 * `dslab grade`: run a lab's scenarios (through runTests) under a pass rule per scenario and
 * an optional time budget, and keep Gradescope's results.json, JUnit and Markdown up to date
 * as scenarios finish. Anything that did not run is a failed test with 0 points and a reason.
 */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { CourseFileError, loadLabDefinition, type RepeatRule } from "../lab/definition.ts";
import { ManifestError } from "../lab/manifest.ts";
import { prepareOutDir } from "../lab/out-dir.ts";
import { runTests, type TestSummary } from "../lab/run-lab.ts";
import type { ScenarioResult } from "../lab/run-scenario.ts";
import { UsageError } from "../lab/usage-error.ts";
import { HARNESS_VERSION } from "../lab/version.ts";
import { formatScenario } from "../report/console.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";
import { BUDGET_STOP_MARGIN_MS, budgetGate } from "./budget.ts";
import { gradeFingerprints } from "./fingerprint.ts";
import { type PlannedScenario, type PlanOptions, planGrade } from "./plan.ts";
import type { Redactor } from "./redact.ts";
import { type GradeReport, ReportView, runForView, sumScores, type View } from "./report.ts";
import { appendStepSummary, type ReportPaths, reportWriter } from "./report-files.ts";
import { gradeScenario } from "./scenario-grade.ts";

export interface GradeOptions {
  lab: string;
  submission: string;
  course?: string;
  /** Empty: every scenario of the lab (and course). */
  scenarios: string[];
  seed: number;
  /** Where the seed came from (gradingSeed's source). */
  seedSource: string;
  timeScale: number;
  /** Where nodes (and the build) run, as gradingRuntime chose it. */
  runtime: RuntimeKind;
  /** Replaces every scenario's own repeat rule. */
  repeat?: RepeatRule;
  budgetMs?: number;
  outDir: string;
  /** Defaults: results.json, junit.xml, summary.md and grade.json in outDir. */
  paths?: Partial<ReportPaths>;
  /** Appended to at the end (GitHub's $GITHUB_STEP_SUMMARY). */
  stepSummaryPath?: string;
  /** Who reads the terminal, JUnit and Markdown (results.json always has every scenario). */
  view: View;
  /** What students must not read (gradingRedactor): applied to everything they see. */
  redactor: Redactor;
  signal: AbortSignal;
  command: string;
  log: (line: string) => void;
  /** Called once the output folder is ready (absolute path), before the build. */
  onOutDirReady?: (outDir: string) => Promise<void>;
}

export interface GradeOutcome {
  report: GradeReport;
  /** The caller's signal stopped the grading (Ctrl-C, SIGTERM). */
  interrupted: boolean;
  /** Some run hit a harness error: dslab's fault, to be regraded. */
  harnessError: boolean;
}

const KILLED =
  "not graded: grading stopped before this scenario finished (dslab was killed or ran out of time)";
const BUILD_LOG_TAIL_BYTES = 4096;

export async function gradeSubmission(options: GradeOptions): Promise<GradeOutcome> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const plan = await loadPlan(options.lab, options.course, {
    scenarios: options.scenarios,
    seed: options.seed,
    timeScale: options.timeScale,
    ...(options.repeat ? { repeat: options.repeat } : {}),
  });
  // Before the first report is written; a bad --out is the grader's usage error.
  const outDir = await prepareOutDir(options.outDir, [options.submission]);
  await options.onOutDirReady?.(outDir);
  const fingerprints = await gradeFingerprints(options.lab, options.submission, options.course);
  const write = reportWriter(
    {
      results: join(outDir, "results.json"),
      junit: join(outDir, "junit.xml"),
      markdown: join(outDir, "summary.md"),
      staff: join(outDir, "grade.json"),
      ...options.paths,
    },
    options.view,
    options.redactor,
  );
  const results = new Map<string, ScenarioResult[]>(plan.map((p) => [p.scenario.name, []]));
  const gate = budgetGate(plan, options.budgetMs, () => performance.now() - started);
  const report = (
    status: GradeReport["status"],
    reasonFor: (scenario: string) => string,
    problem?: string,
  ): GradeReport => {
    const scenarios = plan.map((planned) =>
      gradeScenario(
        planned,
        results.get(planned.scenario.name) ?? [],
        reasonFor(planned.scenario.name),
      ),
    );
    return {
      lab: options.lab,
      submission: options.submission,
      harnessVersion: HARNESS_VERSION,
      seed: options.seed,
      seedSource: options.seedSource,
      fingerprints,
      ...(options.course !== undefined ? { course: options.course } : {}),
      timeScale: options.timeScale,
      runtime: options.runtime,
      ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
      startedAt,
      executionMs: Math.round(performance.now() - started),
      status,
      ...(problem ? { problem } : {}),
      scenarios,
      ...sumScores(scenarios),
    };
  };
  await write(report("running", () => KILLED));

  const deadline = new AbortController();
  const timer =
    options.budgetMs === undefined
      ? undefined
      : setTimeout(() => deadline.abort(), options.budgetMs - BUDGET_STOP_MARGIN_MS);
  const visible = new Map(
    plan
      .filter((p) => options.view === "staff" || p.visibility === "visible")
      .map((p) => [p.scenario.name, p]),
  );
  // Lines from the build and the runs may quote the submission: shown as the view allows.
  const show = (line: string) =>
    options.log(options.view === "student" ? options.redactor.shown(line) : line);
  let summary: TestSummary | undefined;
  let manifestProblem: string | undefined;
  try {
    summary = await runTests({
      lab: options.lab,
      submission: options.submission,
      seeds: [options.seed],
      scenarios: [],
      runs: plan.flatMap((p) => p.seeds.map((seed) => ({ scenario: p.scenario.name, seed }))),
      shouldStart: gate.shouldStart,
      timeScale: options.timeScale,
      runtime: options.runtime,
      outDir,
      signal: AbortSignal.any([options.signal, deadline.signal]),
      command: options.command,
      ...(options.course ? { course: options.course } : {}),
      // runTests names each scenario as it starts; the student view must not show hidden ones.
      log: (line) => {
        if (!line.startsWith("running ")) show(line);
      },
      onResult: (result) => {
        results.get(result.scenario)?.push(result);
        const shown = visible.get(result.scenario);
        if (shown) {
          options.log(
            formatScenario(
              runForView(result, options.view, {
                course: options.course,
                needsCourse: shown.needsCourse,
                redactor: options.redactor,
              }),
            ),
          );
        }
        write(report("running", () => KILLED)).catch((error: unknown) =>
          show(`dslab: could not update the results files: ${String(error)}`),
        );
      },
    });
  } catch (error) {
    // The submission's manifest is unusable: graded as such, every scenario 0.
    if (!(error instanceof ManifestError || error instanceof UsageError)) throw error;
    manifestProblem = error.message;
  } finally {
    clearTimeout(timer);
  }

  const outcome = await finalReport(summary, manifestProblem, {
    interrupted: options.signal.aborted,
    outOfTime: deadline.signal.aborted,
    skipped: gate.skipped,
  });
  const final = report(outcome.status, outcome.reasonFor, outcome.problem);
  await write(final);
  if (options.stepSummaryPath)
    await appendStepSummary(
      options.stepSummaryPath,
      ReportView.of(final, options.view, options.redactor),
    );
  return {
    report: final,
    interrupted: options.signal.aborted,
    harnessError: [...results.values()].flat().some((result) => result.verdict === "error"),
  };
}

/**
 * The lab (with the course's changes) planned for grading. Problems here (unknown lab or
 * scenario, a bad course file) are the grader's, not the student's: usage errors.
 */
export async function loadPlan(
  lab: string,
  course: string | undefined,
  options: PlanOptions,
): Promise<PlannedScenario[]> {
  try {
    const own = await loadLabDefinition(lab);
    return planGrade(course ? await loadLabDefinition(lab, course) : own, options, own);
  } catch (error) {
    if (error instanceof CourseFileError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** How the grading ended, and why each missing run is missing. */
async function finalReport(
  summary: TestSummary | undefined,
  manifestProblem: string | undefined,
  ending: { interrupted: boolean; outOfTime: boolean; skipped: Map<string, string> },
): Promise<{
  status: GradeReport["status"];
  reasonFor: (scenario: string) => string;
  problem?: string;
}> {
  if (manifestProblem !== undefined || summary === undefined) {
    return {
      status: "manifest-invalid",
      reasonFor: () => "not run: the submission's dslab.json is unusable (see the output above)",
      problem: manifestProblem ?? "the submission could not be read",
    };
  }
  if (summary.status === "build-failed") {
    const tail = summary.build?.log ? await fileTail(summary.build.log) : "";
    return {
      status: "build-failed",
      reasonFor: () => "not run: the build failed (see the build output above)",
      problem: `build failed: ${summary.build?.reason ?? "unknown reason"}\n${tail}`.trimEnd(),
    };
  }
  if (ending.interrupted) {
    return { status: "interrupted", reasonFor: () => "not run: grading was interrupted" };
  }
  return {
    status: "completed",
    reasonFor: (scenario) =>
      ending.skipped.get(scenario) ??
      (ending.outOfTime
        ? "the time budget ran out before this scenario finished"
        : "not run: grading ended before this scenario"),
  };
}

async function fileTail(path: string): Promise<string> {
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return "";
  try {
    const { size } = await file.stat();
    const length = Math.min(size, BUILD_LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return (size > length ? "...\n" : "") + buffer.toString("utf8");
  } finally {
    await file.close();
  }
}

/**
 * 0 full marks; 1 graded, not full marks (failed or not-run scenarios, a bad manifest or a
 * failed build); 3 dslab itself failed on some run (regrade); 130 interrupted.
 * (2, bad usage or course file, is thrown before grading starts.)
 */
export function gradeExitCode(outcome: GradeOutcome): number {
  if (outcome.interrupted) return 130;
  if (outcome.harnessError) return 3;
  return outcome.report.scenarios.every((grade) => grade.status === "passed") ? 0 : 1;
}
