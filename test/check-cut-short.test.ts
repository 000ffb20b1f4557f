/**
 * A run cut short (Ctrl-C, a harness error, a truncated trace) keeps its safety violations
 * but cannot fail a liveness property: the calls may have failed because of the cut.
 */
import { describe, expect, it } from "vitest";
import { namedChecker } from "../src/check/named-checker.ts";
import type { CheckResult } from "../src/check/types.ts";
import { runCheckers } from "../src/lab/run-scenario.ts";
import type { Trace, TraceEvent } from "../src/trace/events.ts";
import { syntheticHeader } from "./support/synthetic-trace.ts";

const failing = (property: string): CheckResult => ({
  property,
  verdict: "fail",
  summary: `${property} broke`,
  evidence: [{ message: "here", events: [0] }],
});
const checkers = [
  namedChecker("agreement", "safety", "two values", () => failing("agreement")),
  namedChecker("progress", "liveness", "calls succeed", () => failing("progress")),
  namedChecker("buggy", "liveness", "throws", () => {
    throw new Error("checker bug");
  }),
];

function traceEnding(end: TraceEvent | undefined): Trace {
  return {
    header: syntheticHeader({ lab: "rpc" }),
    events: [{ type: "nemesis.heal", t: 1 }, ...(end ? [end] : [])],
  };
}

describe("judging a run that did not complete", () => {
  it.each([
    ["interrupted", traceEnding({ type: "end", t: 2, status: "interrupted" })],
    ["aborted", traceEnding({ type: "end", t: 2, status: "aborted" })],
    ["cut off (no end event)", traceEnding(undefined)],
  ])("%s: safety fails, liveness is unknown with its evidence kept", (_, trace) => {
    const [agreement, progress, buggy, evidence] = runCheckers(checkers, trace);
    expect(agreement).toMatchObject({ verdict: "fail", summary: "agreement broke" });
    expect(progress).toMatchObject({ verdict: "unknown", evidence: [{ message: "here" }] });
    expect(progress?.summary).toMatch(/did not complete.*progress broke/);
    expect(buggy).toMatchObject({ verdict: "unknown" });
    expect(buggy?.summary).toContain("checker bug");
    // No call got a reply: the cut may be why.
    expect(evidence).toMatchObject({ property: "evidence", verdict: "unknown" });
  });

  it("a completed run fails both, and evidence (no call got a reply)", () => {
    const trace = traceEnding({ type: "end", t: 2, status: "completed" });
    expect(runCheckers(checkers, trace).map((r) => r.verdict)).toEqual([
      "fail",
      "fail",
      "unknown",
      "fail",
      "skipped", // fault-integrity: no check of the fault network recorded
    ]);
  });
});
