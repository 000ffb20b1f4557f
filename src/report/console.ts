/**
 * What a person reads in the terminal: one line per scenario, and for a failure the broken
 * property, its evidence and the command that reproduces it.
 */
import type { ScenarioResult } from "../lab/run-scenario.ts";

const MAX_EVIDENCE_SHOWN = 3;
const MAX_FAULTS_SHOWN = 4;
const LABEL: Record<ScenarioResult["verdict"], string> = {
  pass: "PASS",
  fail: "FAIL",
  unknown: "UNKNOWN",
  error: "ERROR",
};

export function formatScenario(result: ScenarioResult): string {
  const head = [
    LABEL[result.verdict].padEnd(7),
    `${result.scenario} (seed ${result.seed})`.padEnd(34),
    `${result.points}/${result.maxPoints}`.padStart(6),
    `${(result.durationMs / 1000).toFixed(1)} s`.padStart(8),
    `${result.operations} ops`.padStart(10),
    `${result.faults} faults`,
  ].join(" ");
  if (result.verdict === "pass") return `  ${head}`;
  const lines = [`  ${head}`];
  if (result.harnessError) lines.push(`      harness error: ${result.harnessError}`);
  for (const check of result.checks) {
    if (check.verdict !== "fail" && check.verdict !== "unknown") continue;
    lines.push(
      `      ${check.property} ${check.verdict === "fail" ? "FAILED" : "UNKNOWN"}: ${check.summary}`,
    );
    for (const evidence of check.evidence.slice(0, MAX_EVIDENCE_SHOWN)) {
      lines.push(`        - ${evidence.message.split("\n").join("\n          ")}`);
    }
    if (check.evidence.length > MAX_EVIDENCE_SHOWN) {
      lines.push(`        (${check.evidence.length - MAX_EVIDENCE_SHOWN} more in result.json)`);
    }
  }
  if (result.schedule.length > 0) {
    const shown = result.schedule.slice(0, MAX_FAULTS_SHOWN).join("; ");
    const more = result.schedule.length - MAX_FAULTS_SHOWN;
    lines.push(
      `      fault schedule: ${shown}${more > 0 ? `; and ${more} more (in the trace header)` : ""}`,
    );
  }
  lines.push(`      reproduce: ${result.reproduce}`);
  lines.push(`      trace: ${result.tracePath}`);
  return lines.join("\n");
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
