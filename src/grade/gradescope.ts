/**
 * Gradescope's results.json (format: docs/results.schema.json). Every scenario is a test with
 * its own visibility: Gradescope itself withholds hidden and after-due-date tests, while the
 * top-level output, which students always see, is written for the student view.
 */
import type { Visibility } from "../lab/definition.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";
import { headlineMarkdown, scenarioOutput } from "./markdown.ts";
import type { GradeReport } from "./report.ts";

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  status: "passed" | "failed";
  output: string;
  output_format: "md";
  visibility: Visibility;
  tags: string[];
  number: string;
}

export interface GradescopeResults {
  score: number;
  /** Seconds. */
  execution_time: number;
  output: string;
  output_format: "md";
  visibility: "visible";
  /** The autograder's stdout may name hidden scenarios in staff runs: never shown. */
  stdout_visibility: "hidden";
  /** Stored by Gradescope with the grade, for staff: how this grade was produced. */
  extra_data: {
    harness_version: string;
    runtime: RuntimeKind;
    seed: number;
    time_scale: number;
  };
  tests: GradescopeTest[];
}

export function gradescopeResults(report: GradeReport): GradescopeResults {
  return {
    score: report.score,
    execution_time: Math.round(report.executionMs / 1000),
    output: headlineMarkdown(report, "student"),
    output_format: "md",
    visibility: "visible",
    stdout_visibility: "hidden",
    extra_data: {
      harness_version: report.harnessVersion,
      runtime: report.runtime,
      seed: report.seed,
      time_scale: report.timeScale,
    },
    tests: report.scenarios.map((grade) => ({
      name: `${grade.name}: ${grade.title}`,
      score: grade.score,
      max_score: grade.maxScore,
      // Not run is never passed: it is a failed test with 0 points and the reason.
      status: grade.status === "passed" ? "passed" : "failed",
      output: scenarioOutput(grade),
      output_format: "md",
      visibility: grade.visibility,
      tags: grade.tags,
      number: String(grade.number),
    })),
  };
}
