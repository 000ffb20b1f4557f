/**
 * The grade of one submission as every output (results.json, JUnit, Markdown, grade.json,
 * the terminal) sees it, and which scenarios a student may see.
 */
import { basename } from "node:path";
import { quoteArg } from "../lab/run-lab.ts";
import type { ScenarioResult } from "../lab/run-scenario.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";
import type { GradeFingerprints } from "./fingerprint.ts";
import type { Redactor } from "./redact.ts";
import type { ScenarioGrade } from "./scenario-grade.ts";

export interface GradeReport {
  lab: string;
  submission: string;
  harnessVersion: string;
  seed: number;
  /** Where the seed came from: "--seed", "course file", "submission id 123" or "random". */
  seedSource: string;
  /** What the grade was made from. */
  fingerprints: GradeFingerprints;
  /** The course file as the grader named it; reproduce commands shown to students drop it. */
  course?: string;
  timeScale: number;
  /** Where the nodes ran: "docker" is the sandbox, "process" plain local processes. */
  runtime: RuntimeKind;
  budgetMs?: number;
  startedAt: string;
  executionMs: number;
  /** "running" until the end: a results file saying so was cut short (killed, timed out). */
  status: "running" | "completed" | "interrupted" | "build-failed" | "manifest-invalid";
  /** What kept the whole submission from running (manifest, build), shown to everyone. */
  problem?: string;
  scenarios: ScenarioGrade[];
  score: number;
  maxScore: number;
}

/**
 * "student": only scenarios whose visibility is "visible" (hidden and after-due-date names,
 * results and points are left out); "staff": everything.
 */
export type View = "student" | "staff";

export function shownScenarios(report: GradeReport, view: View): ScenarioGrade[] {
  return view === "staff"
    ? report.scenarios
    : report.scenarios.filter((grade) => grade.visibility === "visible");
}

export function sumScores(grades: ScenarioGrade[]): { score: number; maxScore: number } {
  return {
    score: grades.reduce((sum, grade) => sum + grade.score, 0),
    maxScore: grades.reduce((sum, grade) => sum + grade.maxScore, 0),
  };
}

/**
 * "2 more scenarios are graded but not shown here (...), worth 15 points: ...", or "".
 * Their points count in results.json's score (Gradescope's grade), so the text says so rather
 * than let the score shown pass for the whole grade.
 */
export function hiddenNote(report: GradeReport, view: View): string {
  const shown = new Set(shownScenarios(report, view));
  const unseen = report.scenarios.filter((grade) => !shown.has(grade));
  if (unseen.length === 0) return "";
  const { maxScore } = sumScores(unseen);
  const one = unseen.length === 1;
  return `${unseen.length} more scenario${one ? " is" : "s are"} graded but not shown here (hidden or shown after the due date), worth ${maxScore} point${maxScore === 1 ? "" : "s"}: ${one ? "its" : "their"} points count in the total score.`;
}

/**
 * A report as one reader may see it. Every output (results.json's text for students, JUnit,
 * Markdown, the terminal) is rendered from one, so none can skip the redaction: in the student
 * view each scenario is `studentScenario` and every other string has been through the redactor.
 */
export class ReportView {
  readonly view: View;
  readonly report: GradeReport;

  private constructor(view: View, report: GradeReport) {
    this.view = view;
    this.report = report;
  }

  static of(report: GradeReport, view: View, redactor: Redactor): ReportView {
    if (view === "staff") return new ReportView(view, report);
    const { scenarios, course: _graderOnly, ...rest } = report;
    return new ReportView(view, {
      ...redactor.shownAll(rest),
      scenarios: scenarios.map((grade) => studentScenario(grade, report.course, redactor)),
    });
  }
}

/** One scenario's grade for students: their reproduce commands, every string redacted. */
export function studentScenario(
  grade: ScenarioGrade,
  course: string | undefined,
  redactor: Redactor,
): ScenarioGrade {
  return redactor.shownAll({
    ...grade,
    results: grade.results.map((result) => studentReproduce(result, course, grade.needsCourse)),
  });
}

/** A run as the view's reader may see it (the terminal's line for each run). */
export function runForView(
  result: ScenarioResult,
  view: View,
  context: { course: string | undefined; needsCourse: boolean; redactor: Redactor },
): ScenarioResult {
  if (view === "staff") return result;
  return context.redactor.shownAll(studentReproduce(result, context.course, context.needsCourse));
}

/**
 * Students do not have the grader's course file: their reproduce command leaves it out when the
 * lab's own scenario runs the same, and otherwise names the file by its base name and says the
 * course must publish it.
 */
function studentReproduce(
  result: ScenarioResult,
  course: string | undefined,
  needsCourse: boolean,
): ScenarioResult {
  if (course === undefined) return result;
  const flag = ` --course ${quoteArg(course)}`;
  const published = basename(course);
  const reproduce = needsCourse
    ? `${result.reproduce.replace(flag, ` --course ${quoteArg(published)}`)} (${published} is the course file: this scenario is the course's own, so course staff must publish that file to make it reproducible)`
    : result.reproduce.replace(flag, "");
  return { ...result, reproduce };
}
