/**
 * One scenario's grade from its runs: the pass rule decides; runs that never finished (budget,
 * build failure, interruption) can only make it "not-run", never "passed".
 */
import type { Visibility } from "../lab/definition.ts";
import type { ScenarioResult } from "../lab/run-scenario.ts";
import type { PlannedScenario } from "./plan.ts";

export type GradeStatus = "passed" | "failed" | "not-run";

export interface ScenarioGrade {
  name: string;
  title: string;
  description: string;
  number: number;
  visibility: Visibility;
  tags: string[];
  status: GradeStatus;
  score: number;
  maxScore: number;
  /** Runs asked for, runs that finished, and how many of those passed. */
  planned: number;
  finished: number;
  passes: number;
  rule: string;
  seeds: number[];
  /** Why it failed or did not run, in a sentence or two. */
  reason?: string;
  durationMs: number;
  results: ScenarioResult[];
  /** The course runs it differently from the lab: reproducing it needs the course file. */
  needsCourse: boolean;
}

/**
 * `notRunReason` says why runs are missing (the caller knows: budget, build, interruption);
 * it is used only when the finished runs cannot decide the rule either way.
 */
export function gradeScenario(
  planned: PlannedScenario,
  results: ScenarioResult[],
  notRunReason: string,
): ScenarioGrade {
  const finished = results.filter((result) => !result.interrupted);
  const passes = finished.filter((result) => result.verdict === "pass").length;
  const nonPasses = finished.length - passes;
  const { rule, scenario } = planned;
  let status: GradeStatus = "not-run";
  if (passes >= rule.needed) status = "passed";
  else if (nonPasses > rule.runs - rule.needed) status = "failed";
  let reason: string | undefined;
  if (status === "failed") {
    reason = `${passes} of ${finished.length} runs passed (${rule.text}). ${describeRun(
      finished.find((result) => result.verdict !== "pass"),
    )}`;
  } else if (status === "not-run") {
    const cut = results.some((result) => result.interrupted) ? "did not finish: " : "";
    const partial =
      finished.length > 0 ? ` (${finished.length} of ${rule.runs} runs had finished)` : "";
    reason = `${cut}${notRunReason}${partial}`;
  }
  return {
    name: scenario.name,
    title: scenario.title,
    description: scenario.description,
    number: planned.number,
    visibility: planned.visibility,
    tags: scenario.tags ?? [],
    status,
    score: status === "passed" ? scenario.points : 0,
    maxScore: scenario.points,
    planned: rule.runs,
    finished: finished.length,
    passes,
    rule: rule.text,
    seeds: planned.seeds,
    ...(reason !== undefined ? { reason } : {}),
    durationMs: results.reduce((sum, result) => sum + result.durationMs, 0),
    results,
    needsCourse: planned.needsCourse,
  };
}

/** The first thing that went wrong in one run, for a one-line reason. */
function describeRun(result: ScenarioResult | undefined): string {
  if (!result) return "";
  const seed = `Seed ${result.seed}`;
  if (result.harnessError) {
    return `${seed}: dslab itself failed (not the submission's fault; ask course staff to regrade): ${result.harnessError}`;
  }
  const failed = result.checks.filter((check) => check.verdict === "fail");
  const undecided = result.checks.filter((check) => check.verdict === "unknown");
  if (failed.length + undecided.length === 0) return `${seed}: ${result.verdict}`;
  // The properties first: a shortened reason (the class CSV) still names every one.
  const names = (checks: typeof failed) => checks.map((check) => check.property).join(", ");
  const verdicts = [
    failed.length > 0 ? `${names(failed)} failed` : "",
    undecided.length > 0 ? `${names(undecided)} could not be decided` : "",
  ].filter(Boolean);
  const details = [...failed, ...undecided].map(
    (check) => `${check.property}: ${check.summary.replace(/\.$/, "")}`,
  );
  return `${seed}: ${verdicts.join("; ")}. ${details.join("; ")}`;
}
