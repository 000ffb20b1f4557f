/**
 * The grade's files, rewritten whole (atomically) every time a scenario finishes, so whatever
 * stops dslab leaves valid results behind: results.json (Gradescope, every scenario with its
 * visibility), junit.xml and summary.md (in the chosen view), grade.json (staff: everything).
 */
import { appendFile } from "node:fs/promises";
import { writeFileAtomic } from "./atomic-file.ts";
import { gradescopeResults } from "./gradescope.ts";
import { junitXml } from "./junit.ts";
import { summaryMarkdown } from "./markdown.ts";
import type { Redactor } from "./redact.ts";
import { type GradeReport, ReportView, type View } from "./report.ts";

export interface ReportPaths {
  results: string;
  junit: string;
  markdown: string;
  /** grade.json: the whole report, compact, for grade-all and course staff. */
  staff: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Writes one after another (never two renames racing); resolves when this report is on disk.
 * `redactor`: what students must not read, in results.json and in the student view.
 */
export function reportWriter(
  paths: ReportPaths,
  view: View,
  redactor: Redactor,
): (report: GradeReport) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (report) => {
    const shown = ReportView.of(report, view, redactor);
    const files: Array<[string, string]> = [
      [paths.results, json(gradescopeResults(report, redactor))],
      [paths.junit, junitXml(shown)],
      [paths.markdown, summaryMarkdown(shown)],
      [paths.staff, json(staffReport(report))],
    ];
    last = last
      .catch(() => undefined)
      .then(async () => {
        for (const [path, text] of files) await writeFileAtomic(path, text);
      });
    return last;
  };
}

/** GitHub Actions shows $GITHUB_STEP_SUMMARY as Markdown; steps append to it. */
export async function appendStepSummary(path: string, shown: ReportView) {
  await appendFile(path, summaryMarkdown(shown));
}

/** Each run reduced to what a grade sheet needs; the evidence stays in result.json per run. */
function staffReport(report: GradeReport) {
  return {
    ...report,
    scenarios: report.scenarios.map((grade) => ({
      ...grade,
      results: grade.results.map((result) => ({
        seed: result.seed,
        verdict: result.verdict,
        durationMs: result.durationMs,
        interrupted: result.interrupted,
        reproduce: result.reproduce,
        tracePath: result.tracePath,
        ...(result.harnessError ? { harnessError: result.harnessError } : {}),
        problems: result.checks
          .filter((check) => check.verdict === "fail" || check.verdict === "unknown")
          .map((check) => `${check.property} ${check.verdict}: ${check.summary}`),
      })),
    })),
  };
}
