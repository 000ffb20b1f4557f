/**
 * `dslab check`'s judgement of a recorded trace: the lab's checkers, exactly as the live run
 * calls them, and the run's verdict by the same rule (a cut-off or interrupted run never
 * passes; a harness error is no verdict on the submission), evidence included: a trace with
 * fewer answered calls than its scenario's minimum (none at all, say) never passes.
 */
import type { CheckResult } from "../check/types.ts";
import type { Lab } from "../lab/lab.ts";
import { findLab } from "../lab/registry.ts";
import { runCheckers, type ScenarioVerdict, scenarioVerdict } from "../lab/run-scenario.ts";
import { formatChecks, VERDICT_LABEL } from "../report/console.ts";
import type { Trace } from "../trace/events.ts";
import { TraceReadError } from "../trace/reader.ts";

export interface TraceJudgement {
  checks: CheckResult[];
  verdict: ScenarioVerdict;
  harnessError?: string;
  /** Why the run is not whole; a pass on part of a run is only "unknown". */
  incomplete?: string;
  /** Why the trace cannot be shown whole (no digest: an earlier dslab wrote it). */
  unverified?: string;
}

export function judgeTrace(trace: Trace): TraceJudgement {
  let checkers: Lab["checkers"];
  try {
    checkers = findLab(trace.header.lab).checkers;
  } catch (error) {
    throw new TraceReadError(`cannot check this trace: ${(error as Error).message}`);
  }
  const checks = runCheckers(checkers, trace);
  const harnessError = trace.events.find((e) => e.type === "harness.error")?.message;
  const end = trace.events.findLast((e) => e.type === "end");
  let incomplete: string | undefined;
  if (!end) incomplete = "the trace has no end event: the run was cut off before it finished";
  else if (end.status === "interrupted") incomplete = "the run was interrupted";
  const unverified =
    trace.header.digest === undefined
      ? "the trace carries no digest (an earlier dslab wrote it, or the digest was removed), so nothing shows it is whole"
      : undefined;
  const verdict = scenarioVerdict(checks, {
    interrupted: incomplete !== undefined,
    ...(harnessError ? { harnessError } : {}),
  });
  return {
    checks,
    verdict,
    ...(harnessError ? { harnessError } : {}),
    ...(incomplete ? { incomplete } : {}),
    ...(unverified ? { unverified } : {}),
  };
}

/** The live run's report for one scenario, with every property's verdict. */
export function formatJudgement(
  trace: Trace,
  judgement: TraceJudgement,
  tracePath: string,
): string[] {
  const { header } = trace;
  const lines = [
    `  ${VERDICT_LABEL[judgement.verdict].padEnd(7)} ${`${header.scenario} (seed ${header.seed})`.padEnd(34)} lab ${header.lab}, submission ${header.submission.path}`,
  ];
  if (judgement.harnessError) lines.push(`      harness error: ${judgement.harnessError}`);
  if (judgement.incomplete) lines.push(`      incomplete: ${judgement.incomplete}`);
  if (judgement.unverified) lines.push(`      unverified: ${judgement.unverified}`);
  lines.push(
    ...formatChecks(judgement.checks, { onlyProblems: false, moreIn: "the --json report" }),
  );
  lines.push(`      reproduce: ${header.reproduce}`);
  lines.push(`      trace: ${tracePath}`);
  return lines;
}
