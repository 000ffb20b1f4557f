/**
 * `dslab grade-all`: grade every submission in a folder, each in its own `dslab grade` child
 * process (its own process group) with a hard wall-clock limit, N at a time, and keep a class
 * CSV up to date. A submission that fails to build, crashes, hangs or attacks the grader only
 * ever costs its own row.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { open, readdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { killGroup, reaperTag, trackProcessGroup, untrackProcessGroup } from "../host/reaper.ts";
import { isOutDir, prepareOutDir } from "../lab/out-dir.ts";
import { runPool } from "../lab/run-pool.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import { classCsv, type SubmissionRow } from "./class-csv.ts";
import type { GradeReport } from "./report.ts";
import { namesInShard, type Shard } from "./shard.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
/** After SIGTERM, a grader gets this long to stop its nodes and write results. */
const TERM_GRACE_MS = 5000;
const MAX_REASON_CHARS = 300;

export interface GradeAllOptions {
  lab: string;
  folder: string;
  outDir: string;
  jobs: number;
  shard?: Shard;
  /** Hard wall-clock limit per submission. */
  timeoutMs: number;
  /**
   * Handed to every `dslab grade` (seed, time scale, runtime, budget, course, repeat,
   * scenarios).
   */
  gradeArgs: string[];
  /** The CSV's scenario columns, and the points a submission that never got graded missed. */
  scenarios: Array<{ name: string; points: number }>;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface GradeAllOutcome {
  rows: SubmissionRow[];
  csvPath: string;
  /** Process group of each submission's grader (all gone by now), for audits and tests. */
  groups: Map<string, number>;
}

/** Sub-folders (or links to folders) of `folder`, by name; dot-entries are skipped. */
export async function listSubmissions(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const isDirectory =
      entry.isDirectory() ||
      (entry.isSymbolicLink() &&
        (await stat(join(folder, entry.name)).then(
          (s) => s.isDirectory(),
          () => false,
        )));
    if (isDirectory) names.push(entry.name);
  }
  return names;
}

export async function gradeAll(options: GradeAllOptions): Promise<GradeAllOutcome> {
  const folder = resolve(options.folder);
  const outDir = await prepareOutDir(options.outDir, [folder]);
  const everyone = await listSubmissions(folder);
  const names = namesInShard(everyone, options.shard);
  const csvPath = join(outDir, "class.csv");
  const rows = new Map<string, SubmissionRow>();
  const groups = new Map<string, number>();
  const saveCsv = () =>
    writeFileAtomic(
      csvPath,
      classCsv(
        options.scenarios.map((scenario) => scenario.name),
        names.flatMap((name) => rows.get(name) ?? []),
      ),
    );
  await saveCsv();
  options.log(
    `grading ${names.length} submission${names.length === 1 ? "" : "s"}${options.shard ? ` (shard ${options.shard.index}/${options.shard.count})` : ""}, ${options.jobs} at a time, output ${outDir}`,
  );
  await runPool(names, options.jobs, options.signal, async (name) => {
    // Other shards' submissions too: a student's results never show anyone else's.
    const others = everyone.filter((other) => other !== name).map((other) => join(folder, other));
    const row = await gradeOne(
      { name, path: join(folder, name), others },
      join(outDir, name),
      options,
      (pgid) => groups.set(name, pgid),
    );
    rows.set(name, row);
    await saveCsv();
    options.log(
      `  ${row.status.padEnd(16)} ${name.padEnd(30)} ${`${row.score}/${row.maxScore}`.padStart(8)} ${row.seconds.toFixed(0).padStart(5)} s`,
    );
  });
  return { rows: names.flatMap((name) => rows.get(name) ?? []), csvPath, groups };
}

/** `others`: the class's other submissions, withheld from this one's student view. */
async function gradeOne(
  { name, path: submission, others }: { name: string; path: string; others: string[] },
  outDir: string,
  options: GradeAllOptions,
  onGroup: (pgid: number) => void,
): Promise<SubmissionRow> {
  const started = performance.now();
  // A regrade replaces this submission's earlier output, never a folder dslab did not make.
  if (await isOutDir(outDir)) await rm(outDir, { recursive: true, force: true });
  await prepareOutDir(outDir, [submission]);
  const log = await open(join(outDir, "grade.log"), "w");
  const { GITHUB_STEP_SUMMARY: _notForChildren, ...env } = process.env;
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        MAIN,
        "grade",
        options.lab,
        submission,
        "--out",
        outDir,
        "--view",
        "staff",
        "--quiet",
        ...options.gradeArgs,
        ...(others.length > 0 ? ["--withhold", ...others] : []),
      ],
      { detached: true, stdio: ["ignore", log.fd, log.fd], env: { ...env, ...reaperTag() } },
    );
  } finally {
    await log.close();
  }
  const ending = await waitWithLimit(child, `dslab grade ${submission}`, options, onGroup);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const report = await readReport(join(outDir, "grade.json"));
  const maxScore = options.scenarios.reduce((sum, scenario) => sum + scenario.points, 0);
  return submissionRow(name, report, ending, { seconds, maxScore, timeoutMs: options.timeoutMs });
}

type Ending =
  | { kind: "exited"; code: number | null }
  | { kind: "timed-out" }
  | { kind: "interrupted" };

/**
 * Waits for the grader; on the time limit or an interruption it gets SIGTERM (to write its
 * results), then SIGKILL, always to its whole process group. Whatever the grader left running
 * in its group is killed when it exits.
 */
function waitWithLimit(
  child: ChildProcess,
  label: string,
  options: GradeAllOptions,
  onGroup: (pgid: number) => void,
): Promise<Ending> {
  return new Promise((resolve) => {
    const pgid = child.pid;
    let stopping: Ending | undefined;
    const timers: NodeJS.Timeout[] = [];
    const stop = (why: Ending) => {
      if (stopping || pgid === undefined) return;
      stopping = why;
      killGroup(pgid, "SIGTERM");
      timers.push(setTimeout(() => killGroup(pgid, "SIGKILL"), TERM_GRACE_MS));
    };
    const onAbort = () => stop({ kind: "interrupted" });
    if (pgid !== undefined) {
      onGroup(pgid);
      trackProcessGroup(pgid, label);
      timers.push(setTimeout(() => stop({ kind: "timed-out" }), options.timeoutMs));
      options.signal.addEventListener("abort", onAbort);
    }
    const finish = (ending: Ending) => {
      for (const timer of timers) clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
      if (pgid !== undefined) {
        killGroup(pgid, "SIGKILL");
        untrackProcessGroup(pgid);
      }
      resolve(stopping ?? ending);
    };
    child.once("error", () => finish({ kind: "exited", code: null }));
    child.once("exit", (code) => finish({ kind: "exited", code }));
  });
}

async function readReport(path: string): Promise<GradeReport | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as GradeReport;
  } catch {
    return undefined;
  }
}

function shorten(text: string): string {
  const line = text.replaceAll(/\s+/g, " ").trim();
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}

function submissionRow(
  name: string,
  report: GradeReport | undefined,
  ending: Ending,
  context: { seconds: number; maxScore: number; timeoutMs: number },
): SubmissionRow {
  const failures: string[] = [];
  let status: string;
  if (ending.kind === "timed-out") {
    status = "timed-out";
    failures.push(
      `grader: no result within ${Math.round(context.timeoutMs / 1000)} s, killed with its process group`,
    );
  } else if (ending.kind === "interrupted") {
    status = "interrupted";
  } else if (!report || report.status === "running") {
    status = "crashed";
    failures.push(`grader: exited with code ${ending.code} without finishing (see grade.log)`);
  } else {
    status = report.status === "completed" ? "graded" : report.status;
  }
  if (report?.problem) failures.push(shorten(report.problem.split("\n")[0] ?? ""));
  const scores: Record<string, number> = {};
  let notGraded = 0;
  for (const grade of report?.scenarios ?? []) {
    scores[grade.name] = grade.score;
    if (grade.status === "passed" || report?.problem) continue;
    // A cut-short grader leaves the same "not graded" reason on every scenario: count them.
    if (grade.status === "not-run" && report?.status === "running") notGraded++;
    else failures.push(`${grade.name}: ${shorten(grade.reason ?? grade.status)}`);
  }
  if (notGraded > 0) failures.push(`${notGraded} scenarios not graded`);
  return {
    submission: name,
    status,
    score: report?.score ?? 0,
    maxScore: report?.maxScore ?? context.maxScore,
    scores,
    seconds: context.seconds,
    failures,
  };
}
