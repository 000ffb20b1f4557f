/**
 * Lab 3 end to end, with real processes behind a real toxiproxy-server: both references (a
 * C++ multi-Paxos log with group commit, and an independent Python one) pass the scenarios;
 * each buggy variant, fast and slow, fails on the property it breaks, with evidence and a
 * reproduce command.
 */
import { describe, expect, it } from "vitest";
import { expectCaught, explain, fixtureRunner } from "./support/e2e.ts";

// Full time scale: availability and termination bounds are judged against the nodes' own
// (unscaled) timers.
const run = fixtureRunner("kvr", 1);

/**
 * Every scenario takes 6 to 13 s: the C++ reference runs all of them on one seed, the Python
 * one those with every kind of fault, keeping the suite under 30 minutes. Seeds 1 to 20 of
 * every scenario for both: scripts/repeat-references.sh 20 1 1 process kvr.
 */
const REFERENCES = [
  { fixture: "cpp-reference", scenarios: [] },
  {
    fixture: "python-reference",
    scenarios: ["failover-retransmit", "cut-after-write", "total-crash", "mixed-5"],
  },
];

describe.each(REFERENCES)("the kvr $fixture", ({ fixture, scenarios }) => {
  it(`passes ${scenarios.length > 0 ? scenarios.join(", ") : "every scenario"} on seed 1`, {
    timeout: 400_000,
  }, async () => {
    const summary = await run(fixture, scenarios, 1);
    expect(summary.build?.ok).toBe(true);
    expect(explain(summary.results)).toBe("");
    expect(summary.results.length).toBeGreaterThanOrEqual(scenarios.length || 15);
    expect(summary.score).toBe(summary.maxScore);
    expect(summary.notRun).toEqual([]);
  });
});

/**
 * Each bug, the scenario that exposes it and the property that must fail there; measured over
 * full-suite seeds 1 to 20 (bench/detection-rate.ts, FIRST_FAILURE=1): every one caught on
 * 20 of 20, by the scenario named here. The slow twins answer 15 ms later than their bug.
 */
const BUGS: Array<{ fixture: string; scenarios: string[]; fails: string }> = [
  { fixture: "bug-cache-per-node", scenarios: ["clean"], fails: "linearizability" },
  { fixture: "bug-cookie-per-node", scenarios: ["clean"], fails: "cluster-cookie" },
  { fixture: "bug-local-reads", scenarios: ["clean"], fails: "linearizability" },
  { fixture: "bug-slow-local-reads", scenarios: ["stale-read"], fails: "linearizability" },
  {
    fixture: "bug-reply-before-commit",
    scenarios: ["minority-partition"],
    fails: "linearizability",
  },
  {
    fixture: "bug-slow-reply-before-commit",
    scenarios: ["minority-partition"],
    fails: "linearizability",
  },
  { fixture: "bug-memory-only", scenarios: ["total-crash"], fails: "durability" },
  // Its nodes' states diverge: most often first in the cookie (cluster-cookie, in clean), in
  // the keys once a node catches up on slots it missed.
  {
    fixture: "bug-out-of-order",
    scenarios: ["crash-one", "minority-partition"],
    fails: "linearizability",
  },
];

describe.each(BUGS)("$fixture", (bug) => {
  // Up to ten runs of one scenario (about 10 s each).
  it(`fails ${bug.fails} with evidence and a reproduce command`, { timeout: 300_000 }, async () => {
    await expectCaught(run, "kvr", bug, { from: 11, to: 20 });
  });
});
