/**
 * A checker as a lab lists it, and the two rules every lab's checkers share: a bug in a
 * checker is an "unknown" naming it (never an exception that loses the other results), and a
 * liveness property cannot fail on a run that was cut short, since the cut may be the reason.
 */
import type { Trace } from "../trace/events.ts";
import type { Checker, CheckResult, NamedChecker, PropertyKind } from "./types.ts";

/** Turns a thrown error into an "unknown" result naming the checker and the error. */
export function neverThrows(property: string, check: Checker): Checker {
  return (trace): CheckResult => {
    try {
      return check(trace);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return {
        property,
        verdict: "unknown",
        summary: `The ${property} checker failed on this trace (a dslab bug, please report it): ${why}`,
        evidence: [],
      };
    }
  };
}

export function namedChecker(
  property: string,
  kind: PropertyKind,
  description: string,
  check: Checker,
): NamedChecker {
  return { property, kind, description, check: neverThrows(property, check) };
}

/**
 * What a run that did not complete (Ctrl-C, a harness error, a trace cut off) can say: a
 * safety violation seen in a prefix stays a violation; a liveness failure becomes "unknown",
 * its evidence kept, because the calls may have failed for the cut.
 */
export function judgeCutShort(result: CheckResult, kind: PropertyKind, trace: Trace): CheckResult {
  const last = trace.events.at(-1);
  const completed = last?.type === "end" && last.status === "completed";
  if (completed || kind === "safety" || result.verdict !== "fail") return result;
  return {
    ...result,
    verdict: "unknown",
    summary: `The run did not complete, so this cannot count against the submission: ${result.summary}`,
  };
}
