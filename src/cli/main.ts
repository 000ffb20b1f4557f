/**
 * The dslab command line. Exit codes: 0 every scenario passed; 1 a scenario failed (or was
 * unknown); 2 bad usage, manifest or build; 3 the harness itself failed; 130 interrupted.
 */
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Command, CommanderError, Option } from "commander";
import { abortOnSignals, addGradeCommands } from "../grade/commands.ts";
import { registerInitCommand } from "../init/cli.ts";
import { registerTraceCommands } from "../inspect/cli.ts";
import {
  CourseFileError,
  LabLookupError,
  loadLabDefinition,
  selectScenarios,
} from "../lab/definition.ts";
import { tryPointLatestAt } from "../lab/latest-link.ts";
import { ManifestError } from "../lab/manifest.ts";
import { type RunKey, runTests } from "../lab/run-lab.ts";
import { UsageError } from "../lab/usage-error.ts";
import { HARNESS_VERSION } from "../lab/version.ts";
import { registerLincheckCommand } from "../lincheck/cli.ts";
import { formatScenario, formatTotals } from "../report/console.ts";
import { formatSeedTable } from "../report/seed-table.ts";
import { RUNTIME_KINDS, type RuntimeKind } from "../runtime/infrastructure.ts";
import { registerShrinkCommand } from "../shrink/cli.ts";
import { parseScheduleFile } from "../shrink/shrink.ts";
import type { TraceEvent } from "../trace/events.ts";
import { labArgument } from "./lab-argument.ts";
import { StatusLine, wantsLiveTerminal } from "./live-terminal.ts";
import { parseAge, parseTimeScale, wholeNumber } from "./parse-number.ts";
import { checkSeedRange, parseRunCount, parseSeed, randomSeed } from "./seed.ts";
import { testOutput } from "./test-output.ts";

export const EXIT = { passed: 0, failed: 1, usage: 2, harness: 3, interrupted: 130 } as const;

function timestamp(): string {
  return new Date().toISOString().replaceAll(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

interface TestCommandOptions {
  seed?: number;
  seeds: number;
  scenario: string[];
  runtime: RuntimeKind;
  out?: string;
  timeScale: number;
  quiet: boolean;
  course?: string;
  schedule?: string;
  json: boolean;
  jobs: number;
  keepAll: boolean;
}

async function testCommand(
  lab: string,
  submission: string,
  opts: TestCommandOptions,
): Promise<number> {
  const quiet = opts.quiet || process.env.CI === "true";
  const firstSeed = opts.seed ?? randomSeed();
  checkSeedRange(firstSeed, opts.seeds);
  const seeds = Array.from({ length: opts.seeds }, (_, i) => firstSeed + i);
  // Unknown scenario names (and a bad course file) are found before the build.
  const scenarios = selectScenarios(await loadLabDefinition(lab, opts.course), opts.scenario);
  const outDir = opts.out ?? `dslab-out/${lab}-${timestamp()}`;
  const schedule = opts.schedule
    ? await readScheduleOption(opts.schedule, opts.scenario)
    : undefined;
  const controller = new AbortController();
  abortOnSignals(controller);
  // On a terminal: colour and a live status line; plain lines anywhere else (and with --json).
  const live =
    !opts.json && wantsLiveTerminal(process.stdout)
      ? new StatusLine(process.stdout, seeds.length * scenarios.length)
      : undefined;
  const output = testOutput(opts.json, live?.lines());
  output.line(
    `dslab ${HARNESS_VERSION}: lab ${lab}, submission ${submission}, seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")}, time scale ${opts.timeScale}, output ${outDir}`,
  );
  // Runs share the machine's cores with their nodes: more at once than cores starves them, and
  // a correct submission must never fail for that.
  const jobs = Math.min(opts.jobs, availableParallelism());
  if (jobs < opts.jobs) {
    output.line(`--jobs ${opts.jobs}: this machine has ${jobs} cores, so ${jobs} runs go at once`);
  }
  const keepPassingRuns = seeds.length === 1 || opts.keepAll;
  const summary = await runTests({
    ...(live
      ? {
          onRunStart: (run: RunKey) => live.start(run),
          onRunEvent: (run: RunKey, event: TraceEvent) => live.event(run, event),
        }
      : {}),
    lab,
    submission,
    seeds,
    scenarios: opts.scenario,
    timeScale: opts.timeScale,
    runtime: opts.runtime,
    ...(opts.course ? { course: opts.course } : {}),
    ...(schedule ? { schedule } : {}),
    outDir,
    // Only the default folder moves dslab-out/latest: an --out elsewhere is not "the last run".
    ...(opts.out === undefined
      ? { onOutDirReady: (dir: string) => tryPointLatestAt(dir, output.warn) }
      : {}),
    signal: controller.signal,
    jobs,
    keepPassingRuns,
    command: process.env.DSLAB_COMMAND ?? "bin/dslab",
    log: (line) => {
      // The live status line already says which runs are going.
      if (!(quiet || live) || !line.startsWith("running ")) output.line(line);
    },
    onResult: (result) => {
      live?.finish(result);
      output.line(formatScenario(result));
    },
  }).finally(() => live?.close());
  if (summary.status !== "build-failed") {
    output.line(formatTotals(summary.results));
    if (seeds.length > 1) {
      output.line(`seeds ${seeds[0]} to ${seeds.at(-1)}, per scenario:`);
      for (const line of formatSeedTable(summary.results)) output.line(line);
      if (!keepPassingRuns) {
        output.line(
          "only the runs that did not pass keep their folders (traces); --keep-all keeps every run's",
        );
      }
    }
    output.line(`summary: ${outDir}/summary.json`);
  }
  output.summary(summary);
  if (summary.status === "build-failed") return EXIT.usage;
  if (summary.status === "interrupted") return EXIT.interrupted;
  if (summary.results.some((r) => r.verdict === "error")) return EXIT.harness;
  return summary.results.every((r) => r.verdict === "pass") ? EXIT.passed : EXIT.failed;
}

/** `--schedule` replays one scenario with a given fault schedule (from dslab shrink). */
async function readScheduleOption(file: string, scenarios: string[]) {
  if (scenarios.length !== 1) {
    throw new UsageError("--schedule replays one scenario: name it with --scenario NAME");
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --schedule ${file}: ${(error as Error).message}`);
  }
  return { faults: parseScheduleFile(text, file), file };
}

interface CleanCommandOptions {
  runs: boolean;
  /** As typed (for the messages) and in milliseconds. */
  olderThan?: { text: string; ms: number };
  outRoot: string;
}

async function cleanRunsCommand(opts: CleanCommandOptions): Promise<number> {
  const { describePrune, pruneRuns } = await import("../lab/prune-runs.ts");
  const outcome = await pruneRuns(opts.outRoot, opts.olderThan?.ms);
  for (const line of describePrune(opts.outRoot, opts.olderThan?.text, outcome)) {
    console.log(line);
  }
  return EXIT.passed;
}

async function listCommand(lab: string): Promise<number> {
  const definition = await loadLabDefinition(lab);
  console.log(`${definition.title}`);
  for (const scenario of definition.scenarios) {
    console.log(
      `  ${scenario.name.padEnd(20)} ${String(scenario.points).padStart(3)} pts  ${scenario.title}`,
    );
    console.log(`  ${"".padEnd(20)}          ${scenario.description}`);
  }
  return EXIT.passed;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command()
    // Commander's own usage errors (bad option value, unknown option) must exit 2, not 1.
    .exitOverride()
    .name("dslab")
    .description(
      "Grades distributed-systems labs: real processes behind Toxiproxy, seeded faults, one trace, property checkers.",
    )
    .version(HARNESS_VERSION)
    // One line says what was wrong; the whole help after it would bury that line.
    .showHelpAfterError("(dslab help <command> shows the usage)");
  program
    .command("test")
    .description("build a submission and run a lab's scenarios against it")
    .addArgument(labArgument())
    .argument("<submission>", "directory holding dslab.json")
    .option(
      "--seed <n>",
      "seed of the fault schedules and workload (default: random, printed)",
      parseSeed,
    )
    .option("--seeds <k>", "run every scenario on k seeds: seed, seed+1, ...", parseRunCount, 1)
    .option(
      "--jobs <j>",
      "with --seeds: run j scenario runs at once (at most one per core)",
      wholeNumber(1, 64, "a number of jobs"),
      1,
    )
    .option(
      "--keep-all",
      "with --seeds: keep every run's folder (default: only those that did not pass)",
      false,
    )
    .option("--scenario <name...>", "run only these scenarios (see dslab list <lab>)", [])
    .addOption(
      new Option("--runtime <kind>", "how nodes run: local processes or Docker containers")
        .choices([...RUNTIME_KINDS])
        .default("process"),
    )
    .option("--out <dir>", "where traces and results go (default dslab-out/<lab>-<time>)")
    .option(
      "--time-scale <x>",
      "multiply every duration (e.g. 0.5 for quicker, shallower runs)",
      parseTimeScale,
      1,
    )
    .option("--quiet", "only results, no progress lines (also when CI=true)", false)
    .option("--course <file>", "a course file: scenario overrides and extra scenarios")
    .option(
      "--schedule <file>",
      "replay this fault schedule (written by dslab shrink) instead of the seed's",
    )
    .option(
      "--json",
      "print the run's summary (summary.json) as JSON on stdout at the end; every other line goes to stderr",
      false,
    )
    .action(async (lab: string, submission: string, opts: TestCommandOptions) => {
      setExit(await testCommand(lab, submission, opts));
    });
  program
    .command("list")
    .description("list a lab's scenarios and their points")
    .addArgument(labArgument())
    .action(async (lab: string) => setExit(await listCommand(lab)));
  program
    .command("images")
    .description("build the Docker images (Toxiproxy, dslab/runtime:1) locally when missing")
    .option("--force", "rebuild even when present", false)
    .action(async (opts: { force: boolean }) => {
      const { buildImages } = await import("../images/build-images.ts");
      await buildImages({ force: opts.force, log: (line) => console.log(line) });
      setExit(EXIT.passed);
    });
  program
    .command("doctor")
    .description(
      "report what dslab needs, what is present and missing, and the fix for each; exits 1 only when something required (with --runtime docker: or docker's needs) is missing",
    )
    .addOption(
      new Option("--runtime <kind>", "also require what this runtime needs")
        .choices([...RUNTIME_KINDS])
        .default("process"),
    )
    .action(async (opts: { runtime: RuntimeKind }) => {
      const { doctorPasses, formatDoctor, runDoctor } = await import("../doctor/doctor.ts");
      const checks = await runDoctor();
      console.log(formatDoctor(checks));
      setExit(doctorPasses(checks, opts.runtime) ? EXIT.passed : EXIT.failed);
    });
  program
    .command("clean")
    .description(
      "remove Docker containers, networks and volumes left by dead dslab runs; with --runs, old run folders instead",
    )
    .option(
      "--runs",
      "remove run folders from dslab-out (only those dslab made) instead of Docker objects",
      false,
    )
    .option(
      "--older-than <age>",
      "with --runs: only folders unchanged for this long (7d, 12h, 30m)",
      (value: string) => ({ text: value, ms: parseAge(value) }),
    )
    .option("--out-root <dir>", "with --runs: the folder holding the runs", "dslab-out")
    .action(async (opts: CleanCommandOptions) => {
      if (opts.runs) {
        setExit(await cleanRunsCommand(opts));
        return;
      }
      if (opts.olderThan !== undefined) {
        throw new UsageError("--older-than applies to run folders: add --runs");
      }
      const { dockerClient } = await import("../host/docker-engine.ts");
      const { cleanDeadRuns } = await import("../runtime/docker-clean.ts");
      console.log(`removed ${await cleanDeadRuns(await dockerClient())} objects of dead runs`);
      setExit(EXIT.passed);
    });
  registerInitCommand(program, () => setExit(EXIT.passed));
  registerTraceCommands(program, (outcome) => setExit(EXIT[outcome]));
  registerShrinkCommand(program, (outcome) => setExit(EXIT[outcome]));
  registerLincheckCommand(program, setExit);
  addGradeCommands(program, { setExit, timestamp });
  return program;
}

async function main(): Promise<void> {
  let code: number = EXIT.passed;
  try {
    await buildProgram((c) => {
      code = c;
    }).parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help, or the version) already.
      code = error.exitCode === 0 ? EXIT.passed : EXIT.usage;
    } else if (
      error instanceof ManifestError ||
      error instanceof UsageError ||
      error instanceof CourseFileError ||
      error instanceof LabLookupError
    ) {
      console.error(`dslab: ${error.message}`);
      code = EXIT.usage;
    } else if (error instanceof Error && error.name === "DockerUnavailableError") {
      // Docker's own trouble, with its fix (the class stays out of this module's imports).
      console.error(`dslab: ${error.message}`);
      code = EXIT.harness;
    } else {
      console.error(
        `dslab: internal error: ${error instanceof Error ? error.stack : String(error)}`,
      );
      code = EXIT.harness;
    }
  }
  process.exitCode = code;
  // Timers of finished runs must not keep the process alive.
  setTimeout(() => process.exit(code), 500).unref();
}

await main();
