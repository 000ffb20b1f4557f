import { describe, expect, it } from "vitest";
import { checkAvailability } from "../labs/consensus/check/availability.ts";
import { checkTermination } from "../labs/consensus/check/termination.ts";
import { stablePeriods } from "../src/check/stable-periods.ts";
import { b64, ConsensusTraceBuilder } from "./support/consensus-trace-builder.ts";

const AVAILABILITY = { stableMs: 3000, withinMs: 2000, maxLatencyMs: 100 };
const fresh = (nodes = 3, params: Record<string, unknown> = { availability: AVAILABILITY }) =>
  new ConsensusTraceBuilder({ nodes, params }).boot(0);

describe("termination", () => {
  it("passes when a minority's slot and a late learner finish after the heal, and reports times", () => {
    const b = fresh(5, { terminationBoundMs: 10_000 });
    b.split(100, 5000, 1, ["n4", "n5"], ["n1", "n2", "n3"]);
    b.propose(200, "n4", 7, b64("m"), 210); // acknowledged by the minority only
    b.propose(300, "n1", 8, b64("x"), 310).decideEverywhere(400, 8, b64("x"), ["n1", "n2", "n3"]);
    b.heal(5000);
    b.decideEverywhere(6000, 7, b64("m")).decideEverywhere(7000, 8, b64("x"), ["n4", "n5"]);
    b.query(5100, "n1", 8, 5105, b64("x")).query(5100, "n2", 8, 5105, b64("x"));
    b.query(5100, "n3", 8, 5105, b64("x"));
    const r = checkTermination(b.end(9000).trace());
    expect(r.verdict).toBe("pass");
    expect(r.summary).toContain("max 2002 ms, median 1502 ms over 2 slots");
  });

  it("fails a slot one node never printed once the bound has elapsed, naming it", () => {
    const b = fresh(3, { terminationBoundMs: 10_000 });
    b.propose(100, "n1", 1, b64("a"), 110).decideEverywhere(200, 1, b64("a"), ["n1", "n2"]);
    b.heal(1000).query(12_000, "n3", 1, 12_005, false).end(12_100);
    const r = checkTermination(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(
      /Slot 1 .*deadline 11000 ms.*n3 never printed it; n3 still answered FALSE/,
    );
  });

  it("fails a slot printed too late, even if it was printed", () => {
    const b = fresh(3, { terminationBoundMs: 10_000 });
    b.propose(100, "n1", 1, b64("a"), 110).decideEverywhere(200, 1, b64("a"), ["n1", "n2"]);
    b.heal(1000).decideEverywhere(11_500, 1, b64("a"), ["n3"]).end(12_000);
    expect(checkTermination(b.trace()).evidence[0]?.message).toContain(
      "n3 printed it only at 11500 ms",
    );
  });

  it("is unknown, not a failure, when the trace ends before the bound", () => {
    const b = fresh(3, { terminationBoundMs: 10_000 });
    b.propose(100, "n1", 1, b64("a"), 110).decideEverywhere(200, 1, b64("a"), ["n1", "n2"]);
    b.heal(1000).end(5000, "interrupted");
    expect(checkTermination(b.trace()).verdict).toBe("unknown");
  });

  it("without a heal event judges from the last fault's end, and unknown if a fault never ended", () => {
    const b = fresh(3, { terminationBoundMs: 10_000 });
    b.crash(50, 2000, 1, "n3");
    b.propose(100, "n1", 1, b64("a"), 110).decideEverywhere(200, 1, b64("a"), ["n1", "n2"]);
    b.decideEverywhere(11_000, 1, b64("a"), ["n3"]).end(30_000);
    expect(checkTermination(b.trace()).verdict).toBe("pass"); // deadline 12000
    b.fault(20_000, undefined, 2, { kind: "link-down", link: "n1-n2" });
    expect(checkTermination(b.trace()).summary).toContain("fault 2 (link-down) never ended");
  });

  it("requires slots decided anywhere, not proposals nobody acknowledged", () => {
    const b = fresh(3, { terminationBoundMs: 1000 });
    b.propose(100, "n1", 1, b64("lost")); // never acknowledged, never decided: not required
    b.propose(100, "n2", 2, b64("a")).decide(300, "n2", 2, b64("a"));
    const r = checkTermination(b.heal(400).end(5000).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence.map((e) => e.message)).toEqual([expect.stringContaining("Slot 2")]);
  });

  it("is skipped when nothing was proposed", () => {
    expect(checkTermination(fresh().heal(10).end(100).trace()).verdict).toBe("skipped");
  });
});

describe("stable periods", () => {
  it("keeps a majority's period through a fault on the minority, and the full set's around it", () => {
    const b = fresh(3).crash(5000, 6000, 1, "n3").end(20_000);
    const periods = stablePeriods(b.trace(), b.nodes, AVAILABILITY, 20_000);
    expect(periods).toEqual([
      { members: ["n1", "n2", "n3"], from: 0, to: 5000 },
      { members: ["n1", "n2", "n3"], from: 6000, to: 20_000 },
      { members: ["n1", "n2"], from: 0, to: 20_000 },
    ]);
  });

  it("ignores latency within the limit, the stable marker, and client links of other nodes", () => {
    const b = fresh(3);
    b.fault(1000, 9000, 1, {
      kind: "latency",
      link: "n1-n2",
      direction: "upstream",
      latencyMs: 60,
      jitterMs: 40,
    });
    b.fault(1000, 9000, 2, { kind: "stable" });
    b.fault(1000, 9000, 3, { kind: "blackhole", link: "client-c1-n3", direction: "downstream" });
    const periods = stablePeriods(b.end(10_000).trace(), b.nodes, AVAILABILITY, 10_000);
    expect(periods.map((p) => p.members.join(","))).toEqual(["n1,n2"]);
  });

  it("a partition cut or slow link among the set breaks it", () => {
    const b = fresh(3);
    b.partition(1000, 9000, 1, [["n1", "n2"]]);
    b.fault(1000, 9000, 2, {
      kind: "latency",
      link: "n2-n3",
      direction: "upstream",
      latencyMs: 101,
      jitterMs: 0,
    });
    const periods = stablePeriods(b.end(10_000).trace(), b.nodes, AVAILABILITY, 10_000);
    expect(periods.map((p) => `${p.members.join(",")} ${p.from}-${p.to}`)).toEqual([
      "n1,n3 0-10000",
    ]);
  });
});

describe("availability", () => {
  it("passes when the majority side of a partition decides in time and the minority later", () => {
    const b = fresh(3);
    b.split(1000, 9000, 1, ["n3"], ["n1", "n2"]);
    b.propose(2000, "n1", 1, b64("a"), 2010).decideEverywhere(2500, 1, b64("a"), ["n1", "n2"]);
    b.query(2100, "n3", 1, 2105, false).query(5000, "n3", 1, 5105, false); // n3 is cut off
    b.heal(9000).decideEverywhere(9500, 1, b64("a"), ["n3"]);
    const r = checkAvailability(b.end(15_000).trace());
    expect(r.verdict).toBe("pass");
  });

  it("fails a majority that stayed stable but did not decide within the limit", () => {
    const b = fresh(3);
    b.split(1000, 9000, 1, ["n3"], ["n1", "n2"]);
    b.propose(2000, "n1", 1, b64("a"), 2010).decideEverywhere(2500, 1, b64("a"), ["n1"]);
    b.heal(9000).decideEverywhere(9500, 1, b64("a"), ["n2", "n3"]);
    const r = checkAvailability(b.end(15_000).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(
      /\{n1, n2\}, slot 1 .*deadline 4010 ms\): n2 printed it only at 9500 ms/,
    );
  });

  it("fails a FALSE answer to a call sent after the deadline", () => {
    const b = fresh(3);
    b.propose(1000, "n1", 1, b64("a"), 1010).decideEverywhere(1500, 1, b64("a"));
    b.query(3500, "n3", 1, 3505, false);
    expect(checkAvailability(b.end(10_000).trace()).evidence[0]?.message).toContain(
      "n3 answered FALSE at 3505 ms",
    );
  });

  it("counts slots acknowledged before the period from the period's start", () => {
    const b = fresh(3);
    b.pause(500, 5000, 1, "n2").pause(500, 5000, 2, "n3"); // no majority runs
    b.propose(1000, "n1", 1, b64("a"), 1010).decide(1500, "n1", 1, b64("a"));
    b.decide(6000, "n2", 1, b64("a")).decide(8000, "n3", 1, b64("a")); // period from 5000: deadline 7000
    const r = checkAvailability(b.end(12_000).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toContain("n3 printed it only at 8000 ms");
  });

  it("is skipped without parameters or without a long enough stable period", () => {
    const noParams = fresh(3, {}).end(10_000).trace();
    expect(checkAvailability(noParams).verdict).toBe("skipped");
    const b = fresh(3);
    for (let i = 1; i < 10; i++) b.crash(i * 1000, i * 1000 + 500, i, `n${(i % 3) + 1}`);
    b.propose(100, "n3", 1, b64("a"), 110);
    expect(checkAvailability(b.end(10_000).trace()).summary).toContain(
      "No stable period of 3000 ms",
    );
  });
});
