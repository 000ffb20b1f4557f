/**
 * Synthetic lab 2 traces, one correct run and one per violation, recorded as
 * fixtures/traces/consensus-*.jsonl so checker tests (and humans, with `dslab` tools) also
 * read real files. Each fixture states the verdict every consensus checker must give.
 * Regenerate after changing a fixture: node test/support/write-consensus-fixtures.ts
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Verdict } from "../../src/check/types.ts";
import type { Trace } from "../../src/trace/events.ts";
import { b64, ConsensusTraceBuilder } from "./consensus-trace-builder.ts";

export const FIXTURE_DIR = join(import.meta.dirname, "../../fixtures/traces");

export const FIXTURE_PARAMS = {
  terminationBoundMs: 30_000,
  availability: { stableMs: 3000, withinMs: 2000, maxLatencyMs: 100 },
};

export interface ConsensusFixture {
  name: string;
  /** Verdict per property; properties not named must pass. */
  expect: Partial<Record<string, Verdict>>;
  build: () => Trace;
}

const BIG_SLOT = 2 ** 40 + 7;
const builder = () => new ConsensusTraceBuilder({ params: FIXTURE_PARAMS }).boot(0);

/**
 * A correct run: competing proposals, a minority partition that still acknowledges proposals,
 * a late learner answering FALSE then TRUE, a crash whose node prints its decisions again after
 * the restart, a slot above 2^32, and every node asked after the final heal.
 */
export function correctRun(): ConsensusTraceBuilder {
  const b = builder();
  b.propose(100, "n1", 1, b64("a"), 110);
  b.propose(105, "n2", 1, b64("b"), 115);
  b.decideEverywhere(200, 1, b64("a"));
  b.split(1000, 4000, 1, ["n3"], ["n1", "n2"]);
  b.propose(1500, "n3", BIG_SLOT, b64("c"), 1510);
  b.propose(1600, "n1", BIG_SLOT, b64("d"), 1610);
  b.decideEverywhere(1700, BIG_SLOT, b64("d"), ["n1", "n2"]);
  b.query(2000, "n3", BIG_SLOT, 2005, false);
  b.decide(4500, "n3", BIG_SLOT, b64("d")).query(4600, "n3", BIG_SLOT, 4605, b64("d"));
  b.crash(5000, 6000, 2, "n2");
  b.propose(5500, "n1", 3, "", 5510); // the empty value
  b.decideEverywhere(5600, 3, "", ["n1", "n3"]);
  b.decide(6100, "n2", 1, b64("a")).decide(6100, "n2", BIG_SLOT, b64("d"));
  b.decide(6200, "n2", 3, "");
  b.heal(20_000);
  for (const node of b.nodes) {
    b.query(20_100, node, 1, 20_105, b64("a"));
    b.query(20_100, node, BIG_SLOT, 20_105, b64("d"));
    b.query(20_100, node, 3, 20_105, "");
  }
  return b.end(40_000);
}

export const consensusFixtures: readonly ConsensusFixture[] = [
  { name: "consensus-correct", expect: {}, build: () => correctRun().trace() },
  {
    name: "consensus-agreement-split",
    expect: { agreement: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.propose(100, "n2", 5, b64("b"), 110);
      b.decideEverywhere(200, 5, b64("a"), ["n1", "n3"]).decideEverywhere(200, 5, b64("b"), ["n2"]);
      return b.heal(1000).end(40_000).trace();
    },
  },
  {
    name: "consensus-validity-unproposed",
    expect: { validity: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.decideEverywhere(200, 5, b64("z"));
      return b.heal(1000).end(40_000).trace();
    },
  },
  {
    name: "consensus-validity-late-proposal",
    expect: { validity: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.propose(150, "n1", 5, b64("late"), 160);
      b.decideEverywhere(200, 5, b64("late"));
      return b.heal(1000).end(40_000).trace();
    },
  },
  {
    name: "consensus-integrity-printed-twice",
    expect: { integrity: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.decideEverywhere(200, 5, b64("a")).decide(300, "n1", 5, b64("a"));
      return b.heal(1000).end(40_000).trace();
    },
  },
  {
    name: "consensus-integrity-false-after-true",
    expect: { integrity: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.decideEverywhere(200, 5, b64("a"));
      b.query(400, "n2", 5, 405, false); // after n2's TRUE at 202
      return b.heal(1000).end(40_000).trace();
    },
  },
  {
    name: "consensus-output-format",
    expect: { "output-format": "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.decideEverywhere(200, 5, b64("a"));
      b.output(250, "n2", { type: "decide", slot: "6", value: b64("a") });
      b.output(260, "n3", { type: "decide", slot: 7, value: "not base64!" });
      return b.heal(1000).end(40_000).trace();
    },
  },
  {
    name: "consensus-termination-undecided",
    expect: { termination: "fail", availability: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.decideEverywhere(200, 5, b64("a"), ["n1", "n2"]);
      b.heal(1000);
      for (let t = 1100; t < 40_000; t += 5000) b.query(t, "n3", 5, t + 5, false);
      return b.end(40_000).trace();
    },
  },
  {
    name: "consensus-termination-interrupted",
    expect: { termination: "unknown", availability: "fail" },
    build: () => {
      const b = builder();
      b.propose(100, "n1", 5, b64("a"), 110);
      b.decideEverywhere(200, 5, b64("a"), ["n1", "n2"]);
      b.heal(1000).query(4000, "n3", 5, 4005, false);
      return b.end(5000, "interrupted").trace();
    },
  },
  {
    name: "consensus-availability-slow-majority",
    expect: { availability: "fail" },
    build: () => {
      const b = builder();
      b.propose(1000, "n1", 5, b64("a"), 1010);
      b.decideEverywhere(1500, 5, b64("a"), ["n1", "n2"]);
      b.query(4000, "n3", 5, 4005, false); // past 1010 + 2000 ms, on a calm network
      b.decide(9000, "n3", 5, b64("a")).query(9100, "n3", 5, 9105, b64("a"));
      return b.heal(10_000).end(40_000).trace();
    },
  },
];

/** The fixture as recorded: the header, then one event per line. */
export function serialize(trace: Trace): string {
  return [trace.header, ...trace.events].map((record) => `${JSON.stringify(record)}\n`).join("");
}

if (import.meta.main) {
  for (const fixture of consensusFixtures) {
    const path = join(FIXTURE_DIR, `${fixture.name}.jsonl`);
    writeFileSync(path, serialize(fixture.build()));
    console.log(`wrote ${path}`);
  }
}
