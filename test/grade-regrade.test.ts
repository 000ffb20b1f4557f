/**
 * Issue 12, finding 7: a regrade must not change a grade. `dslab grade` twice on the same
 * submission with fixtures/hostile/regrade's course file (a seed derived from the Gradescope
 * submission id, a hidden scenario worth 15 points) gives the same results.json apart from
 * timestamps and durations; extra_data says how the grade was made; the text students see
 * counts the hidden points; students' reproduce commands name no file of the grader's.
 */
import { cp, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { junitXml } from "../src/grade/junit.ts";
import { summaryMarkdown } from "../src/grade/markdown.ts";
import type { PlannedScenario } from "../src/grade/plan.ts";
import { Redactor } from "../src/grade/redact.ts";
import { type GradeReport, ReportView, type View } from "../src/grade/report.ts";
import { gradeScenario } from "../src/grade/scenario-grade.ts";
import { seedFromSubmissionId } from "../src/grade/seed-choice.ts";
import { CourseFileError, courseWarnings, loadLabDefinition } from "../src/lab/definition.ts";
import type { ScenarioResult } from "../src/lab/run-scenario.ts";
import { readValidResults } from "./support/results-file.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const MAIN = resolve("src/cli/main.ts");
const FIXTURE = "fixtures/hostile/regrade";
const COURSE = `${FIXTURE}/course.json`;
const METADATA = `${FIXTURE}/submission_metadata.json`;
const tempDir = useTempDirs();

async function grade(submission: string, out: string) {
  const run = await execa(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      MAIN,
      "grade",
      "rpc",
      submission,
      "--course",
      COURSE,
      "--submission-metadata",
      METADATA,
      "--scenario",
      "semantics",
      "wire",
      "--time-scale",
      "0.5",
      "--out",
      out,
    ],
    { reject: false, timeout: 60_000 },
  );
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  return { run, results: await readValidResults(join(out, "results.json")) };
}

/** What may differ between two gradings: how long they took. */
function withoutTimes(results: object): unknown {
  return JSON.parse(
    JSON.stringify(results, (key, value) => (key === "execution_time" ? 0 : value)),
  );
}

describe("a regrade", () => {
  it("gives the same results.json, seeded by the submission id, with what made it", async () => {
    const dir = await tempDir("dslab-regrade-");
    const submission = join(dir, "submission");
    await cp("fixtures/rpc/python-reference", submission, { recursive: true });
    const first = await grade(submission, join(dir, "first"));
    // Python byte-code and dslab's own output inside the submission are no part of it.
    await writeFile(join(submission, "stray.pyc"), "byte-code");
    const second = await grade(submission, join(dir, "second"));

    expect(withoutTimes(second.results)).toEqual(withoutTimes(first.results));
    const seed = seedFromSubmissionId("123456");
    expect(first.results.extra_data).toMatchObject({
      seed,
      seed_source: "submission id 123456",
      submission_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      lab_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      course_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(first.run.stdout).toContain(`seed ${seed} (submission id 123456)`);

    // The score counts the hidden 15 points, and so does the text every student sees.
    expect(first.results.score).toBe(25);
    expect(first.results.output).toContain("10/10 points on the scenarios shown, of 25 in all");
    expect(first.results.output).toContain("worth 15 points");
    expect(first.results.output).not.toContain("wire");
    // The course check warns staff, without naming the hidden scenario in the student view.
    expect(first.run.stderr).toContain("1 hidden scenario carries 15 points");
    expect(first.run.stderr).not.toContain("wire");

    // A changed file is a different submission.
    await writeFile(join(submission, "server.py"), "# changed\n", { flag: "a" });
    const third = await grade(submission, join(dir, "third"));
    expect(third.results.extra_data.submission_sha256).not.toBe(
      first.results.extra_data.submission_sha256,
    );
  }, 120_000);

  it("refuses a course seed from the submission id without the metadata to derive it", async () => {
    const run = await execa(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", MAIN, "grade", "rpc", "sub", "--course", COURSE],
      { reject: false, timeout: 30_000 },
    );
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("--submission-metadata /autograder/submission_metadata.json");
  });
});

describe("the course check", () => {
  it('takes a seed or "submission-id", and says so in one line', async () => {
    const dir = await tempDir("dslab-course-seed-");
    const course = join(dir, "course.json");
    await writeFile(course, JSON.stringify({ lab: "rpc", seed: "abc" }));
    const error = await loadLabDefinition("rpc", course).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CourseFileError);
    expect((error as Error).message).toContain(
      `${course}: /seed must be a seed from 0 to 2147483647 or "submission-id" (not "abc")`,
    );
  });

  it("warns about hidden scenarios that carry points, by name for staff only", async () => {
    const course = await loadLabDefinition("rpc", COURSE);
    expect(courseWarnings(course.scenarios, true)[0]).toContain("(wire: 15)");
    expect(courseWarnings(course.scenarios, false)[0]).not.toContain("wire");
    expect(courseWarnings((await loadLabDefinition("rpc")).scenarios, true)).toEqual([]);
  });
});

describe("a reproduce command shown to students", () => {
  const grader = "/autograder/source/course.json";
  const failing = (scenario: string): ScenarioResult =>
    ({
      scenario,
      seed: 5,
      verdict: "fail",
      points: 0,
      maxPoints: 5,
      durationMs: 1000,
      tracePath: "t.jsonl",
      reproduce: `dslab test rpc /autograder/submission --scenario ${scenario} --seed 5 --course ${grader}`,
      checks: [{ property: "durability", verdict: "fail", summary: "lost", evidence: [] }],
      schedule: [],
      operations: 3,
      faults: 0,
      interrupted: false,
    }) as unknown as ScenarioResult;
  const planned = (name: string, needsCourse: boolean): PlannedScenario => ({
    scenario: { name, title: name, description: name, points: 5 },
    number: 1,
    seeds: [5],
    rule: { runs: 1, needed: 1, text: "the run must pass" },
    visibility: "visible",
    estimatedMs: 1000,
    needsCourse,
  });
  const report = (needsCourse: boolean): GradeReport => ({
    lab: "rpc",
    submission: "/autograder/submission",
    harnessVersion: "0.1.0",
    seed: 5,
    seedSource: "course file",
    fingerprints: { lab: "b".repeat(64) },
    course: grader,
    timeScale: 1,
    runtime: "process",
    startedAt: "2026-11-26T10:00:00.000Z",
    executionMs: 1000,
    status: "completed",
    scenarios: [gradeScenario(planned("mixed", needsCourse), [failing("mixed")], "")],
    score: 0,
    maxScore: 5,
  });

  const shown = (graded: GradeReport, view: View) => ReportView.of(graded, view, Redactor.none());

  it("leaves out the grader's course file when the lab's scenario runs the same", () => {
    for (const text of [
      summaryMarkdown(shown(report(false), "student")),
      junitXml(shown(report(false), "student")),
    ]) {
      expect(text).toContain("--scenario mixed --seed 5");
      expect(text).not.toContain("/autograder/source");
    }
    expect(summaryMarkdown(shown(report(false), "staff"))).toContain(`--course ${grader}`);
  });

  it("names the file the course must publish when the scenario is the course's own", () => {
    const text = summaryMarkdown(shown(report(true), "student"));
    expect(text).not.toContain("/autograder/source");
    expect(text).toContain("--seed 5 --course course.json (course.json is the course file");
  });
});
