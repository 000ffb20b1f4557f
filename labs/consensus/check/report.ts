/** Shared shaping of consensus results: bounded evidence, counts in words. */
import type { CheckResult, Evidence, Verdict } from "../../../src/check/types.ts";

/** Evidence items kept per result; the summary always gives the full count. */
export const MAX_EVIDENCE = 20;

export function result(
  property: string,
  verdict: Verdict,
  summary: string,
  evidence: Evidence[] = [],
): CheckResult {
  return { property, verdict, summary, evidence: evidence.slice(0, MAX_EVIDENCE) };
}

/** "1 slot", "3 slots". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Ascending event indexes without repeats. */
export const eventList = (events: Iterable<number>): number[] =>
  [...new Set(events)].sort((a, b) => a - b);
