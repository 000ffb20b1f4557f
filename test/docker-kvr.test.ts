/**
 * Lab 3 under `--runtime docker`: the C++ reference passes the scenarios with every kind of
 * fault and the answer reaction, two bugs fail on their properties as under the process
 * runtime, and nothing of the runs is left in the engine. Needs dockerd and the images.
 */
import { describe, expect, it } from "vitest";
import { leftovers, requireDocker } from "./support/docker.ts";
import { explain, fixtureRunner, verdictOf } from "./support/e2e.ts";

requireDocker();

// Full time scale, as in e2e-kvr.
const inDocker = fixtureRunner("kvr", 1, "docker");
const inProcesses = fixtureRunner("kvr", 1, "process");
const TIMEOUT_MS = 300_000;

describe("the kvr cpp-reference", () => {
  it("passes mixed (partitions, lossy and slow links, crashes, pauses) and cut-after-write (the reaction)", {
    timeout: TIMEOUT_MS,
  }, async () => {
    const docker = await inDocker("cpp-reference", ["mixed", "cut-after-write"], 11);
    expect(docker.build?.ok).toBe(true);
    expect(explain(docker.results)).toBe("");
    expect(docker.results.map((r) => r.verdict)).toEqual(["pass", "pass"]);
    expect(leftovers()).toBe("");
  });
});

/** Bugs that show whatever the timing, each in the scenario e2e-kvr aims at it. */
const BUGS = [
  { fixture: "bug-cache-per-node", scenario: "clean", fails: "linearizability" },
  { fixture: "bug-memory-only", scenario: "total-crash", fails: "durability" },
];

describe.each(BUGS)("$fixture", ({ fixture, scenario, fails }) => {
  it(`fails ${fails} in ${scenario} as under the process runtime`, {
    timeout: TIMEOUT_MS,
  }, async () => {
    const docker = await inDocker(fixture, [scenario], 11);
    expect(verdictOf(docker.results[0], fails), explain(docker.results)).toBe("fail");
    expect(docker.results[0]?.verdict).toBe("fail");
    expect(leftovers()).toBe("");
    const processes = await inProcesses(fixture, [scenario], 11);
    expect(verdictOf(processes.results[0], fails), explain(processes.results)).toBe("fail");
  });
});
