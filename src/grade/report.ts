/**
 * The grade of one submission as every output (results.json, JUnit, Markdown, grade.json,
 * the terminal) sees it, and which scenarios a student may see.
 */
import type { RuntimeKind } from "../runtime/infrastructure.ts";
import type { ScenarioGrade } from "./scenario-grade.ts";

export interface GradeReport {
  lab: string;
  submission: string;
  harnessVersion: string;
  seed: number;
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

/** "3 scenarios are hidden (graded, results not shown here)", or "" when none are. */
export function hiddenNote(report: GradeReport, view: View): string {
  const hidden = report.scenarios.length - shownScenarios(report, view).length;
  if (hidden === 0) return "";
  return `${hidden} more scenario${hidden === 1 ? " is" : "s are"} graded but not shown here (hidden or shown after the due date).`;
}
