/** The verdict of a checker that judges a number of cases, each of which may break the property. */
import type { CheckResult, Evidence } from "./types.ts";

/** What the result says for each verdict; only the chosen one is shown. */
export interface VerdictSummaries {
  fail: string;
  /** The trace held no case to judge. */
  skipped: string;
  pass: string;
}

/** fail with the evidence if there is any, skipped if no case was judged, pass otherwise. */
export function countedVerdict(
  property: string,
  judged: number,
  evidence: Evidence[],
  summaries: VerdictSummaries,
): CheckResult {
  if (evidence.length > 0) {
    return { property, verdict: "fail", summary: summaries.fail, evidence };
  }
  if (judged === 0) return skippedResult(property, summaries.skipped);
  return { property, verdict: "pass", summary: summaries.pass, evidence };
}

/** The trace held nothing this property is about (no crash, no stall, ...). */
export function skippedResult(property: string, summary: string): CheckResult {
  return { property, verdict: "skipped", summary, evidence: [] };
}
