/**
 * Gradescope's results.json (format: docs/results.schema.json). Every scenario is a test with
 * its own visibility: Gradescope itself withholds hidden and after-due-date tests, while the
 * top-level output, which students always see, is written for the student view.
 */
import type { Visibility } from "../lab/definition.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";
import { headlineMarkdown, scenarioOutput } from "./markdown.ts";
import type { Redactor } from "./redact.ts";
import { type GradeReport, ReportView, studentScenario } from "./report.ts";
import type { ScenarioGrade } from "./scenario-grade.ts";

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
    /** "--seed", "course file", "submission id <id>" or "random". */
    seed_source: string;
    time_scale: number;
    /** SHA-256 of the submission's files, the lab definition and the course file. */
    submission_sha256?: string;
    lab_sha256: string;
    course_sha256?: string;
  };
  tests: GradescopeTest[];
}

/**
 * `redactor`: what students must not read. A visible test's text is the student view's; a
 * hidden or after-due-date test's (shown to staff, and to students once its visibility allows)
 * may name its own scenario, never another's secrets.
 */
export function gradescopeResults(report: GradeReport, redactor: Redactor): GradescopeResults {
  const student = ReportView.of(report, "student", redactor);
  return {
    score: report.score,
    execution_time: Math.round(report.executionMs / 1000),
    output: headlineMarkdown(student),
    output_format: "md",
    visibility: "visible",
    stdout_visibility: "hidden",
    extra_data: {
      harness_version: report.harnessVersion,
      runtime: report.runtime,
      seed: report.seed,
      seed_source: report.seedSource,
      time_scale: report.timeScale,
      ...(report.fingerprints.submission !== undefined
        ? { submission_sha256: report.fingerprints.submission }
        : {}),
      lab_sha256: report.fingerprints.lab,
      ...(report.fingerprints.course !== undefined
        ? { course_sha256: report.fingerprints.course }
        : {}),
    },
    tests: report.scenarios.map((graded, index) => {
      const grade =
        graded.visibility === "visible"
          ? (student.report.scenarios[index] as ScenarioGrade)
          : studentScenario(graded, report.course, redactor.sparing(graded.name));
      return {
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
      };
    }),
  };
}
