/**
 * Markdown for people: the grade summary (a table, then the details of what went wrong) for
 * $GITHUB_STEP_SUMMARY and summary.md, and each scenario's output for results.json.
 */
import { formatScenario } from "../report/console.ts";
import { hiddenNote, type ReportView, shownScenarios, sumScores } from "./report.ts";
import type { GradeStatus, ScenarioGrade } from "./scenario-grade.ts";

/** Failing runs shown in full per scenario; the rest are in grade.json and the traces. */
const MAX_RUNS_SHOWN = 3;
const MARK: Record<GradeStatus, string> = { passed: "✅", failed: "❌", "not-run": "⏭️" };

/** A fence longer than any run of backticks inside, so submission output cannot end it. */
export function codeBlock(text: string, language = "text"): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll(/\s*\n\s*/g, " ");
}

function runsText(grade: ScenarioGrade): string {
  return `${grade.passes}/${grade.planned} runs passed${grade.finished < grade.planned ? ` (${grade.planned - grade.finished} not run)` : ""}`;
}

/**
 * One scenario's story: verdict, runs, rule, and each failing run as the terminal shows it
 * (`grade` as its reader may see it: a ReportView's, or studentScenario's).
 */
export function scenarioOutput(grade: ScenarioGrade): string {
  const seeds =
    grade.seeds.length === 1
      ? `seed ${grade.seeds[0]}`
      : `seeds ${grade.seeds[0]}–${grade.seeds.at(-1)}`;
  const lines = [
    `**${grade.status}**: ${runsText(grade)} (${seeds}); ${grade.rule}.`,
    "",
    grade.description,
  ];
  const failing = grade.results.filter((result) => result.verdict !== "pass");
  // A failing run tells its own story below; the reason is for what has no run to show.
  if (grade.reason && failing.length === 0) lines.push("", codeBlock(grade.reason));
  for (const result of failing.slice(0, MAX_RUNS_SHOWN)) {
    lines.push("", codeBlock(formatScenario(result)));
  }
  if (failing.length > MAX_RUNS_SHOWN) {
    lines.push("", `(${failing.length - MAX_RUNS_SHOWN} more failing runs in grade.json)`);
  }
  return lines.join("\n");
}

/** The score line and the submission-wide problem, if any: Gradescope's top-level output. */
export function headlineMarkdown({ report, view }: ReportView): string {
  const { score, maxScore } = sumScores(shownScenarios(report, view));
  // The total (results.json's score) counts what is not shown: never let a part pass for it.
  const partial = hiddenNote(report, view)
    ? ` on the scenarios shown, of ${report.maxScore} in all`
    : "";
  const lines = [
    `**dslab ${report.lab}**: ${score}/${maxScore} points${partial} (seed ${report.seed}, time scale ${report.timeScale}, runtime ${report.runtime}${report.budgetMs !== undefined ? `, budget ${Math.round(report.budgetMs / 1000)} s` : ""}).`,
  ];
  if (report.status === "running") {
    lines.push("", "Grading was cut short (killed or timed out): scenarios not finished score 0.");
  }
  if (report.problem) lines.push("", codeBlock(report.problem));
  const note = hiddenNote(report, view);
  if (note) lines.push("", note);
  return lines.join("\n");
}

export function summaryMarkdown(shownReport: ReportView): string {
  const { report, view } = shownReport;
  const shown = shownScenarios(report, view);
  const lines = [
    `## dslab: lab ${report.lab}, ${report.submission}`,
    "",
    headlineMarkdown(shownReport),
    "",
    "| | scenario | points | runs |",
    "|---|---|---:|---|",
    ...shown.map(
      (grade) =>
        `| ${MARK[grade.status]} | ${cell(grade.name)}: ${cell(grade.title)} | ${grade.score}/${grade.maxScore} | ${runsText(grade)} |`,
    ),
  ];
  for (const grade of shown.filter((g) => g.status !== "passed")) {
    lines.push(
      "",
      `<details><summary>${MARK[grade.status]} ${grade.name}: ${grade.status}</summary>`,
      "",
      scenarioOutput(grade),
      "",
      "</details>",
    );
  }
  return `${lines.join("\n")}\n`;
}
