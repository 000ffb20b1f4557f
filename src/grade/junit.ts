/**
 * JUnit XML, as GitHub Actions test reporters and GitLab read it: one testcase per scenario;
 * a scenario that failed or did not run is a <failure> (never a skip, which reads as fine).
 */
import { formatScenario } from "../report/console.ts";
import { hiddenNote, type ReportView, shownScenarios } from "./report.ts";

/** Text as XML 1.0 allows it: escaped, and without the control characters it forbids. */
export function xmlText(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replaceAll(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "\uFFFD")
      .replaceAll(
        /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        "\uFFFD",
      )
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&apos;")
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml({ report, view }: ReportView): string {
  const shown = shownScenarios(report, view);
  const failures = shown.filter((grade) => grade.status !== "passed").length;
  const suite = `dslab.${report.lab}`;
  const cases = shown.map((grade) => {
    const open = `    <testcase classname="${xmlText(suite)}" name="${xmlText(grade.name)}" time="${seconds(grade.durationMs)}">`;
    const properties = [
      "      <properties>",
      `        <property name="points" value="${grade.score}/${grade.maxScore}"/>`,
      `        <property name="runs" value="${grade.passes}/${grade.planned} passed"/>`,
      "      </properties>",
    ];
    if (grade.status === "passed") return [open, ...properties, "    </testcase>"].join("\n");
    const details = [
      grade.reason ?? "",
      ...grade.results.filter((r) => r.verdict !== "pass").map((result) => formatScenario(result)),
    ].join("\n\n");
    return [
      open,
      ...properties,
      `      <failure type="${grade.status}" message="${xmlText(grade.reason ?? grade.status)}">${xmlText(details)}</failure>`,
      "    </testcase>",
    ].join("\n");
  });
  const note = hiddenNote(report, view);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dslab" tests="${shown.length}" failures="${failures}" errors="0" time="${seconds(report.executionMs)}">`,
    `  <testsuite name="${xmlText(suite)}" tests="${shown.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(report.executionMs)}" timestamp="${xmlText(report.startedAt)}">`,
    ...cases,
    ...(note ? [`    <system-out>${xmlText(note)}</system-out>`] : []),
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
