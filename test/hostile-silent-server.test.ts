/**
 * A server that never answers earns nothing (issue 12, finding 2): fixtures/hostile/sleep-on-call
 * accepts connections and answers no call. It scored 50/110, every fault scenario passing with
 * four calls: they overlapped faults, so progress and wire-conformance were skipped, and
 * at-most-once had nothing to contradict. A run now passes only on evidence, and the calm
 * phase after the final heal requires answers. (The probes and `clean` failed it already, on
 * calls left unanswered on a calm network; each takes up to a minute against a silent server.)
 */
import { describe, expect, it } from "vitest";
import { explain, fixtureRunner } from "./support/e2e.ts";

// One of each kind of fault (lost messages, sliced streams, crashes) and all of them at once:
// the evidence rule is the same in every scenario.
const FAULT_SCENARIOS = ["lost-replies", "sliced-streams", "crash-restart", "mixed"];

describe("a server that never answers", () => {
  const run = fixtureRunner("rpc");

  it("scores 0 on fault scenarios, saying what evidence was missing", {
    timeout: 300_000,
  }, async () => {
    const summary = await run("../hostile/sleep-on-call", FAULT_SCENARIOS, 1);
    expect(summary.results.map((r) => r.scenario)).toEqual(FAULT_SCENARIOS);
    expect(summary.score, explain(summary.results)).toBe(0);
    for (const result of summary.results) {
      expect(result.verdict, result.scenario).toBe("fail");
      const evidence = result.checks.find((c) => c.property === "evidence");
      expect(evidence?.verdict, result.scenario).toBe("fail");
      expect(evidence?.summary).toMatch(
        /^No call got a reply \(\d+ sent\): nothing in this run could be judged, so it cannot pass \(this scenario needs at least \d+ answered calls\)\.$/,
      );
      const progress = result.checks.find((c) => c.property === "progress");
      expect(progress?.verdict, result.scenario).toBe("fail");
      expect(progress?.evidence[0]?.message).toMatch(
        /^op \d+ \(BOOT\) by reader did not succeed on a calm network after the final heal: it got no reply\.$/,
      );
    }
  });
});
