/**
 * The end of a flake hunt (`dslab test --seeds K`): per scenario, how its seeds went and the
 * first one that did not pass, with the command that reproduces it and its trace.
 */
import type { ScenarioResult } from "../lab/run-scenario.ts";
import { VERDICT_LABEL } from "./console.ts";

const COLUMNS = ["pass", "fail", "unknown", "error"] as const;

export function formatSeedTable(results: readonly ScenarioResult[]): string[] {
  const byScenario = new Map<string, ScenarioResult[]>();
  for (const result of results) {
    byScenario.set(result.scenario, [...(byScenario.get(result.scenario) ?? []), result]);
  }
  const width = Math.max(8, ...[...byScenario.keys()].map((name) => name.length));
  const lines = [
    `  ${"scenario".padEnd(width)} ${COLUMNS.map((column) => column.padStart(7)).join(" ")}  first not passed`,
  ];
  for (const [scenario, runs] of byScenario) {
    const counts = COLUMNS.map((verdict) =>
      String(runs.filter((run) => run.verdict === verdict).length).padStart(7),
    );
    const first = runs.filter((run) => run.verdict !== "pass").sort((a, b) => a.seed - b.seed)[0];
    lines.push(
      `  ${scenario.padEnd(width)} ${counts.join(" ")}  ${first ? `seed ${first.seed} (${VERDICT_LABEL[first.verdict]})` : "-"}`,
    );
    if (first) {
      lines.push(`      reproduce: ${first.reproduce}`);
      if (first.tracePath) lines.push(`      trace: ${first.tracePath}`);
    }
  }
  return lines;
}
