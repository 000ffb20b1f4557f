/**
 * Lab 2 end to end, with real processes behind a real toxiproxy-server (a proxy per ordered
 * node pair and per client link): the reference passes every scenario, 3 and 5 nodes, on three
 * seeds; each buggy variant fails on the property it breaks, with evidence and a reproduce
 * command.
 */
import { describe, expect, it } from "vitest";
import { explain, fixtureRunner, verdictOf } from "./support/e2e.ts";

// Full time scale: availability is judged against the protocol's own (unscaled) timers.
const run = fixtureRunner("consensus", 1);

describe("the consensus cpp-reference", () => {
  it.each([1, 2, 3])("passes every scenario on seed %i", async (seed) => {
    const summary = await run("cpp-reference", [], seed);
    expect(summary.build?.ok).toBe(true);
    expect(explain(summary.results)).toBe("");
    expect(summary.results.length).toBeGreaterThanOrEqual(13);
    expect(summary.score).toBe(summary.maxScore);
  });
});

/** Each bug, the scenarios that expose it and the property that must fail there. */
const BUGS: Array<{ fixture: string; scenarios: string[]; fails: string }> = [
  { fixture: "bug-decides-own-input", scenarios: ["clean"], fails: "agreement" },
  {
    fixture: "bug-acceptor-memory-only",
    scenarios: ["decide-and-cut", "total-crash"],
    fails: "agreement",
  },
  {
    fixture: "bug-ignores-accepted",
    scenarios: ["decide-and-cut", "flapping-partitions"],
    fails: "agreement",
  },
  {
    fixture: "bug-quorum-floor-half",
    scenarios: ["minority-partition", "isolate-each"],
    fails: "agreement",
  },
  { fixture: "bug-stops-retrying", scenarios: ["minority-partition"], fails: "termination" },
  { fixture: "bug-invents-value", scenarios: ["clean"], fails: "validity" },
];

describe.each(BUGS)("$fixture", ({ fixture, scenarios, fails }) => {
  it(`fails ${fails} with evidence and a reproduce command`, async () => {
    const summary = await run(fixture, scenarios, 11);
    const failed = summary.results.filter((r) => verdictOf(r, fails) === "fail");
    // The bug must show in at least one of the scenarios aimed at it, on this fixed seed.
    expect(failed.length, explain(summary.results)).toBeGreaterThan(0);
    for (const result of failed) {
      expect(result.verdict).toBe("fail");
      const check = result.checks.find((c) => c.property === fails);
      expect(check?.evidence[0]?.events.length).toBeGreaterThan(0);
      expect(result.reproduce).toBe(
        `bin/dslab test consensus fixtures/consensus/${fixture} --scenario ${result.scenario} --seed 11`,
      );
    }
  });
});
