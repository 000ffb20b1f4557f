/**
 * The class sheet: one row per submission (status, total, each scenario's score, time, why
 * points were lost), readable by spreadsheets without letting a cell become a formula.
 */
export interface SubmissionRow {
  submission: string;
  /** graded, build-failed, manifest-invalid, timed-out, crashed, interrupted. */
  status: string;
  score: number;
  maxScore: number;
  /** By scenario name; absent when the scenario has no grade (the grader never got there). */
  scores: Record<string, number>;
  seconds: number;
  /** "scenario: reason" for every scenario without full points, and the grader's trouble. */
  failures: string[];
}

function field(value: string | number): string {
  let text = String(value);
  // A text cell starting like a formula would run in the spreadsheet: make it plain text.
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function classCsv(scenarios: string[], rows: SubmissionRow[]): string {
  const header = [
    "submission",
    "status",
    "score",
    "max_score",
    ...scenarios,
    "seconds",
    "failures",
  ];
  const lines = rows.map((row) =>
    [
      field(row.submission),
      field(row.status),
      field(row.score),
      field(row.maxScore),
      ...scenarios.map((name) => field(row.scores[name] ?? "")),
      field(row.seconds),
      field(row.failures.join(" | ")),
    ].join(","),
  );
  return `${[header.map(field).join(","), ...lines].join("\n")}\n`;
}
