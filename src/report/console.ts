/**
 * What a person reads in the terminal: one line per scenario, and for a failure the broken
 * property, its evidence and the command that reproduces it.
 */
import type { CheckResult, Verdict } from "../check/types.ts";
import type { ScenarioResult } from "../lab/run-scenario.ts";

const MAX_EVIDENCE_SHOWN = 3;
const MAX_FAULTS_SHOWN = 4;
/** How a scenario verdict is shown; `dslab check` uses the same words. */
export const VERDICT_LABEL: Record<ScenarioResult["verdict"], string> = {
  pass: "PASS",
  fail: "FAIL",
  unknown: "UNKNOWN",
  error: "ERROR",
};

export function formatScenario(result: ScenarioResult): string {
  const head = [
    VERDICT_LABEL[result.verdict].padEnd(7),
    `${result.scenario} (seed ${result.seed})`.padEnd(34),
    `${result.points}/${result.maxPoints}`.padStart(6),
    `${(result.durationMs / 1000).toFixed(1)} s`.padStart(8),
    `${result.operations} ops`.padStart(10),
    `${result.faults} faults`,
  ].join(" ");
  if (result.verdict === "pass") return `  ${head}`;
  const lines = [`  ${head}`];
  if (result.harnessError) lines.push(`      harness error: ${result.harnessError}`);
  lines.push(...formatChecks(result.checks, { onlyProblems: true, moreIn: "result.json" }));
  if (result.schedule.length > 0) {
    const shown = result.schedule.slice(0, MAX_FAULTS_SHOWN).join("; ");
    const more = result.schedule.length - MAX_FAULTS_SHOWN;
    lines.push(
      `      fault schedule: ${shown}${more > 0 ? `; and ${more} more (in the trace header)` : ""}`,
    );
  }
  lines.push(`      reproduce: ${result.reproduce}`);
  lines.push(`      trace: ${result.tracePath}`);
  if (!result.viewerError)
    lines.push(`      view: ${result.tracePath.replace(/\.jsonl$/, ".html")}`);
  return lines.join("\n");
}

const CHECK_LABEL: Record<Verdict, string> = {
  pass: "passed",
  fail: "FAILED",
  unknown: "UNKNOWN",
  skipped: "skipped",
};

/**
 * One line per property with its verdict and summary; failed and unknown ones also list their
 * first pieces of evidence. `onlyProblems` leaves out passed and skipped properties (the run's
 * report); `moreIn` names where the evidence not shown can be read.
 */
export function formatChecks(
  checks: CheckResult[],
  options: { onlyProblems: boolean; moreIn: string },
): string[] {
  const lines: string[] = [];
  for (const check of checks) {
    const problem = check.verdict === "fail" || check.verdict === "unknown";
    if (!problem && options.onlyProblems) continue;
    lines.push(`      ${check.property} ${CHECK_LABEL[check.verdict]}: ${check.summary}`);
    if (!problem) continue;
    for (const evidence of check.evidence.slice(0, MAX_EVIDENCE_SHOWN)) {
      lines.push(`        - ${evidence.message.split("\n").join("\n          ")}`);
    }
    if (check.evidence.length > MAX_EVIDENCE_SHOWN) {
      lines.push(
        `        (${check.evidence.length - MAX_EVIDENCE_SHOWN} more in ${options.moreIn})`,
      );
    }
  }
  return lines;
}

export function formatTotals(results: ScenarioResult[]): string {
  const points = results.reduce((sum, r) => sum + r.points, 0);
  const max = results.reduce((sum, r) => sum + r.maxPoints, 0);
  const count = (verdict: ScenarioResult["verdict"]) =>
    results.filter((r) => r.verdict === verdict).length;
  const parts = [`${count("pass")} passed`, `${count("fail")} failed`];
  if (count("unknown") > 0) parts.push(`${count("unknown")} unknown`);
  if (count("error") > 0) parts.push(`${count("error")} harness errors`);
  return `score ${points}/${max}: ${parts.join(", ")}`;
}
