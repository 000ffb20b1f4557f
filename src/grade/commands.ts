/**
 * The `grade` and `grade-all` commands, added to the CLI by src/cli/main.ts. Their options use
 * the parsers of src/cli/ (seeds, numbers, the lab), so they read options exactly as `test` does.
 */
import { stat } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { labArgument } from "../cli/lab-argument.ts";
import { decimalNumber, parseSeconds, parseTimeScale, wholeNumber } from "../cli/parse-number.ts";
import { checkSeedRange, parseRunCount, parseSeed } from "../cli/seed.ts";
import { handOverSignals, killTrackedGroups } from "../host/reaper.ts";
import { courseWarnings, type RepeatRule } from "../lab/definition.ts";
import { tryPointLatestAt } from "../lab/latest-link.ts";
import { UsageError } from "../lab/usage-error.ts";
import { HARNESS_VERSION } from "../lab/version.ts";
import { RUNTIME_KINDS, type RuntimeKind } from "../runtime/infrastructure.ts";
import { gradeExitCode, gradeSubmission, loadPlan } from "./grade.ts";
import { gradeAll } from "./grade-all.ts";
import type { PlannedScenario } from "./plan.ts";
import { hiddenNote, ReportView, shownScenarios, sumScores, type View } from "./report.ts";
import { gradingRuntime } from "./runtime-choice.ts";
import { gradingRedactor } from "./secrets.ts";
import { classSeed, GRADESCOPE_METADATA, gradingSeed } from "./seed-choice.ts";
import { parseShard, type Shard } from "./shard.ts";

export interface CliHelpers {
  setExit: (code: number) => void;
  timestamp: () => string;
}

const INTERRUPTED = 130;
/** grade-all's per-submission limit beyond the budget: build (up to 5 min) and cleanup. */
const LIMIT_BEYOND_BUDGET_MS = 6 * 60_000;
const DEFAULT_LIMIT_MS = 30 * 60_000;
const MAX_JOBS = 64;

export const GRADE_EXIT_CODES = `
Exit codes:
  0    every scenario passed
  1    graded, not full marks: a scenario failed or did not run, or the manifest or build failed
  2    bad usage: unknown lab or scenario, bad option or course file (nothing graded)
  3    dslab itself failed on some run (a harness error: regrade)
  130  interrupted (results so far are written)`;

export const GRADE_ALL_EXIT_CODES = `
Exit codes:
  0    every submission was graded (whatever its score)
  1    some submission's grader timed out or crashed (its row says so)
  2    bad usage (nothing graded)
  130  interrupted (the CSV holds the submissions graded so far)`;

/** How long the cleanup after SIGINT/SIGTERM may take before dslab quits regardless. */
const CLEANUP_GRACE_MS = 25_000;

/**
 * First SIGINT/SIGTERM: stop after cleanup (results are written); second, or cleanup still
 * running after CLEANUP_GRACE_MS (a hung call must not keep dslab alive): kill every process
 * group dslab started and quit.
 */
export function abortOnSignals(controller: AbortController): void {
  handOverSignals();
  const quit = (why: string) => {
    process.stderr.write(`dslab: ${why}: quitting without finishing the cleanup\n`);
    killTrackedGroups();
    process.exit(INTERRUPTED);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) quit(`${signal} again`);
    process.stderr.write(`\n${signal}: stopping after cleanup (again to quit at once)...\n`);
    setTimeout(
      () => quit(`the cleanup took over ${CLEANUP_GRACE_MS / 1000} s`),
      CLEANUP_GRACE_MS,
    ).unref();
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

interface SharedOptions {
  course?: string;
  scenario: string[];
  seed?: number;
  repeat?: number;
  passRate?: number;
  timeScale: number;
  /** Unset: the course file's runtime, else process. */
  runtime?: RuntimeKind;
  budget?: number;
  out?: string;
}

interface GradeCommandOptions extends SharedOptions {
  submissionMetadata?: string;
  withhold: string[];
  results?: string;
  junit?: string;
  markdown?: string;
  view: View;
  quiet: boolean;
}

interface GradeAllCommandOptions extends SharedOptions {
  jobs: number;
  shard?: Shard;
  timeout?: number;
}

function repeatRule(opts: SharedOptions): RepeatRule | undefined {
  if (opts.passRate !== undefined && opts.repeat === undefined) {
    throw new UsageError("--pass-rate needs --repeat <k>");
  }
  if (opts.repeat === undefined) return undefined;
  return opts.passRate === undefined
    ? { runs: opts.repeat }
    : { runs: opts.repeat, rule: "pass-rate", minPassRate: opts.passRate };
}

/** No commander default: an unset --runtime leaves the choice to the course file. */
function runtimeOption(): Option {
  return new Option(
    "--runtime <kind>",
    'how nodes run: local processes or sandboxed Docker containers (default: the course file\'s "runtime", else process)',
  ).choices([...RUNTIME_KINDS]);
}

function addSharedOptions(command: Command): Command {
  return command
    .option("--course <file>", "a course file: scenario overrides and extra scenarios")
    .option("--scenario <name...>", "grade only these scenarios (see dslab list <lab>)", [])
    .option(
      "--seed <n>",
      'first seed (default: the course file\'s "seed", else random; printed)',
      parseSeed,
    )
    .option(
      "--repeat <k>",
      "run every scenario on k seeds (seed, seed+1, ...), replacing the lab's own repeat rules",
      parseRunCount,
    )
    .option(
      "--pass-rate <x>",
      "with --repeat: the share of runs (0.01-1) that must pass (default: every run)",
      decimalNumber(0.01, 1, "a pass rate"),
    )
    .option("--time-scale <x>", "multiply every duration", parseTimeScale, 1)
    .addOption(runtimeOption())
    .option(
      "--budget <seconds>",
      "time budget: scenarios that would not fit are reported as not run",
      parseSeconds,
    );
}

/**
 * The grading plan, checked before anything runs: the lab, the scenario names, the course
 * file, and that every scenario's last seed stays in range.
 */
async function checkedPlan(
  lab: string,
  seed: number,
  opts: SharedOptions,
  repeat: RepeatRule | undefined,
): Promise<PlannedScenario[]> {
  const plan = await loadPlan(lab, opts.course, {
    scenarios: opts.scenario,
    seed,
    timeScale: opts.timeScale,
    ...(repeat ? { repeat } : {}),
  });
  checkSeedRange(seed, Math.max(1, ...plan.map((planned) => planned.seeds.length)));
  return plan;
}

export function addGradeCommands(program: Command, helpers: CliHelpers): void {
  addSharedOptions(
    program
      .command("grade")
      .description(
        "grade a submission: Gradescope results.json, JUnit XML and a Markdown summary, updated as scenarios finish",
      )
      .addArgument(labArgument())
      .argument("<submission>", "directory holding dslab.json"),
  )
    .option("--out <dir>", "where results and traces go (default dslab-out/grade-<lab>-<time>)")
    .option(
      "--submission-metadata <file>",
      `Gradescope's ${GRADESCOPE_METADATA}: its submission id sets the seed when the course file says "seed": "submission-id"`,
    )
    .option("--results <file>", "results.json's path (default <out>/results.json)")
    .option("--junit <file>", "JUnit XML's path (default <out>/junit.xml)")
    .option("--markdown <file>", "Markdown summary's path (default <out>/summary.md)")
    .addOption(
      new Option(
        "--view <who>",
        "who reads the terminal, JUnit and Markdown: student leaves out non-visible scenarios",
      )
        .choices(["student", "staff"])
        .default("student"),
    )
    .option(
      "--withhold <folder...>",
      "folders students must not read about: their paths and lines are hidden from the student view (grade-all passes the other submissions)",
      [],
    )
    .option("--quiet", "no progress lines", false)
    .addHelpText(
      "after",
      `\nAlso appends the Markdown summary to $GITHUB_STEP_SUMMARY when it is set.\n${GRADE_EXIT_CODES}`,
    )
    .action(async (lab: string, submission: string, opts: GradeCommandOptions) => {
      helpers.setExit(await gradeCommand(lab, submission, opts, helpers));
    });

  addSharedOptions(
    program
      .command("grade-all")
      .description(
        "grade every submission in a folder, each in its own process with a time limit; writes class.csv",
      )
      .addArgument(labArgument())
      .argument("<folder>", "a folder of submission directories"),
  )
    .option("--out <dir>", "where results go (default dslab-out/grade-all-<lab>-<time>)")
    .option(
      "--jobs <n>",
      "submissions graded at once",
      wholeNumber(1, MAX_JOBS, "a number of jobs"),
      1,
    )
    .option("--shard <i/n>", "grade only shard i of n (by sorted name)", (v) => {
      try {
        return parseShard(v);
      } catch (error) {
        throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
      }
    })
    .option(
      "--timeout <seconds>",
      "hard limit per submission (default: budget + 6 min, or 30 min)",
      parseSeconds,
    )
    .addHelpText("after", GRADE_ALL_EXIT_CODES)
    .action(async (lab: string, folder: string, opts: GradeAllCommandOptions) => {
      helpers.setExit(await gradeAllCommand(lab, folder, opts, helpers));
    });
}

async function gradeCommand(
  lab: string,
  submission: string,
  opts: GradeCommandOptions,
  helpers: CliHelpers,
): Promise<number> {
  const { seed, source } = await gradingSeed(opts.seed, opts.course, opts.submissionMetadata);
  const repeat = repeatRule(opts);
  const plan = await checkedPlan(lab, seed, opts, repeat);
  const redactor = await gradingRedactor({
    lab,
    submission,
    ...(opts.course ? { course: opts.course } : {}),
    withheld: opts.withhold,
  });
  // Whatever the student reads passes the redactor, dslab's own lines included.
  const say = (line: string) => console.log(opts.view === "student" ? redactor.shown(line) : line);
  const staff = opts.view === "staff";
  warnAboutCourse(plan, opts.course && !staff ? "the course file" : opts.course, staff);
  const outDir = opts.out ?? `dslab-out/grade-${lab}-${helpers.timestamp()}`;
  const controller = new AbortController();
  abortOnSignals(controller);
  const quiet = opts.quiet || process.env.CI === "true";
  const runtime = await gradingRuntime(opts.runtime, opts.course);
  say(
    `dslab ${HARNESS_VERSION} grade: lab ${lab}, submission ${submission}, seed ${seed} (${source}), time scale ${opts.timeScale}, runtime ${runtime}${opts.budget ? `, budget ${opts.budget} s` : ""}, output ${outDir}`,
  );
  const outcome = await gradeSubmission({
    lab,
    submission,
    ...(opts.course ? { course: opts.course } : {}),
    scenarios: opts.scenario,
    seed,
    seedSource: source,
    timeScale: opts.timeScale,
    runtime,
    ...(repeat ? { repeat } : {}),
    ...(opts.budget ? { budgetMs: opts.budget * 1000 } : {}),
    outDir,
    // Only the default folder moves dslab-out/latest: an --out elsewhere is not "the last run".
    ...(opts.out === undefined
      ? {
          onOutDirReady: (dir: string) =>
            tryPointLatestAt(dir, (line) =>
              console.error(opts.view === "student" ? redactor.shown(line) : line),
            ),
        }
      : {}),
    paths: {
      ...(opts.results ? { results: opts.results } : {}),
      ...(opts.junit ? { junit: opts.junit } : {}),
      ...(opts.markdown ? { markdown: opts.markdown } : {}),
    },
    ...(process.env.GITHUB_STEP_SUMMARY
      ? { stepSummaryPath: process.env.GITHUB_STEP_SUMMARY }
      : {}),
    view: opts.view,
    redactor,
    signal: controller.signal,
    command: process.env.DSLAB_COMMAND ?? "bin/dslab",
    log: (line) => {
      if (!quiet || !/^build(ing| ok)/.test(line)) console.log(line);
    },
  });
  console.log(formatGradeTable(ReportView.of(outcome.report, opts.view, redactor)));
  say(`results: ${opts.results ?? `${outDir}/results.json`}`);
  return gradeExitCode(outcome);
}

/**
 * The course check's warnings, on stderr. `names`: scenario names (where staff read); students
 * are not shown the course file's path either (`course` is then "the course file").
 */
function warnAboutCourse(
  plan: PlannedScenario[],
  course: string | undefined,
  names: boolean,
): void {
  const scenarios = plan.map((planned) => planned.scenario);
  for (const warning of courseWarnings(scenarios, names)) {
    console.error(`dslab: warning: ${course ?? "the lab"}: ${warning}`);
  }
}

async function checkSubmissionsFolder(folder: string): Promise<void> {
  const found = await stat(folder).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new UsageError(
      `${folder} ${found ? "is not a folder" : "does not exist"}: pass the folder that holds one directory per submission`,
    );
  }
}

/** The terminal's closing table, in the chosen view. */
export function formatGradeTable({ report, view }: ReportView): string {
  const shown = shownScenarios(report, view);
  const lines = [""];
  if (report.problem) lines.push(report.problem, "");
  for (const grade of shown) {
    lines.push(
      `  ${grade.status.toUpperCase().padEnd(8)} ${grade.name.padEnd(22)} ${`${grade.score}/${grade.maxScore}`.padStart(6)}   ${grade.passes}/${grade.planned} runs passed`,
    );
    // Failed runs were printed as they finished; say why the others never ran.
    if (grade.status === "not-run" && !report.problem) lines.push(`           ${grade.reason}`);
  }
  const { score, maxScore } = sumScores(shown);
  lines.push(`score ${score}/${maxScore}`);
  const note = hiddenNote(report, view);
  if (note) lines.push(note);
  return lines.join("\n");
}

async function gradeAllCommand(
  lab: string,
  folder: string,
  opts: GradeAllCommandOptions,
  helpers: CliHelpers,
): Promise<number> {
  await checkSubmissionsFolder(folder);
  // One seed for the whole class: every submission meets the same faults.
  const seed = await classSeed(opts.seed, opts.course);
  const repeat = repeatRule(opts);
  const plan = await checkedPlan(lab, seed, opts, repeat);
  warnAboutCourse(plan, opts.course, true);
  // Chosen once here and passed on, so every grader runs the same way.
  const runtime = await gradingRuntime(opts.runtime, opts.course);
  const gradeArgs = [
    "--seed",
    String(seed),
    "--time-scale",
    String(opts.timeScale),
    "--runtime",
    runtime,
    ...(opts.course ? ["--course", opts.course] : []),
    ...(opts.scenario.length > 0 ? ["--scenario", ...opts.scenario] : []),
    ...(repeat ? ["--repeat", String(repeat.runs)] : []),
    ...(repeat?.minPassRate !== undefined ? ["--pass-rate", String(repeat.minPassRate)] : []),
    ...(opts.budget ? ["--budget", String(opts.budget)] : []),
  ];
  const timeoutMs =
    opts.timeout !== undefined
      ? opts.timeout * 1000
      : opts.budget !== undefined
        ? opts.budget * 1000 + LIMIT_BEYOND_BUDGET_MS
        : DEFAULT_LIMIT_MS;
  const controller = new AbortController();
  abortOnSignals(controller);
  console.log(
    `dslab ${HARNESS_VERSION} grade-all: lab ${lab}, folder ${folder}, seed ${seed}, runtime ${runtime}`,
  );
  // Once here, not in each of the graders started side by side.
  if (runtime === "docker") {
    await (await import("../host/docker-engine.ts")).ensureDockerReady(console.log);
  }
  const outcome = await gradeAll({
    lab,
    folder,
    outDir: opts.out ?? `dslab-out/grade-all-${lab}-${helpers.timestamp()}`,
    jobs: opts.jobs,
    ...(opts.shard ? { shard: opts.shard } : {}),
    timeoutMs,
    gradeArgs,
    scenarios: plan.map(({ scenario }) => ({ name: scenario.name, points: scenario.points })),
    signal: controller.signal,
    log: (line) => console.log(line),
  });
  console.log(`class sheet: ${outcome.csvPath}`);
  if (controller.signal.aborted) return INTERRUPTED;
  return outcome.rows.some((row) => row.status === "timed-out" || row.status === "crashed") ? 1 : 0;
}
