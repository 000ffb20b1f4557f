import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { consensusCheckers } from "../labs/consensus/check/index.ts";
import type { Trace, TraceEvent } from "../src/trace/events.ts";
import { readTrace } from "../src/trace/reader.ts";
import { b64 } from "./support/consensus-trace-builder.ts";
import {
  consensusFixtures,
  correctRun,
  FIXTURE_DIR,
  serialize,
} from "./support/write-consensus-fixtures.ts";

const fileOf = (name: string) => join(FIXTURE_DIR, `${name}.jsonl`);

describe("recorded consensus fixtures", () => {
  for (const fixture of consensusFixtures) {
    it(`${fixture.name}: every checker gives the stated verdict`, async () => {
      expect(
        readFileSync(fileOf(fixture.name), "utf8"),
        "regenerate with node test/support/write-consensus-fixtures.ts",
      ).toBe(serialize(fixture.build()));
      const trace = await readTrace(fileOf(fixture.name));
      const verdicts = Object.fromEntries(
        consensusCheckers.map((c) => [c.property, c.check(trace).verdict]),
      );
      const expected = Object.fromEntries(
        consensusCheckers.map((c) => [c.property, fixture.expect[c.property] ?? "pass"]),
      );
      expect(verdicts).toEqual(expected);
    });
  }
});

/** A run with every kind of event and several violations, to cut anywhere. */
function richTrace(): Trace {
  const b = correctRun();
  b.decide(7000, "n1", 3, b64("other")).decide(7000, "n1", 3, b64("other"));
  b.query(7100, "n1", 1, 7105, false);
  b.output(7200, "n2", { type: "decide", slot: -1 });
  b.fault(8000, undefined, 9, {
    kind: "latency",
    link: "n1-n2",
    direction: "upstream",
    latencyMs: 500,
    jitterMs: 0,
  });
  return b.trace();
}

const isCheckerBug = (summary: string) => summary.includes("dslab bug");

describe("odd and truncated consensus traces", () => {
  it("every prefix of a trace is judged without a checker error", () => {
    const full = richTrace();
    for (let n = 0; n <= full.events.length; n++) {
      const trace = { header: full.header, events: full.events.slice(0, n) };
      for (const c of consensusCheckers) {
        const r = c.check(trace);
        expect(isCheckerBug(r.summary), `${c.property} at ${n} events: ${r.summary}`).toBe(false);
      }
    }
  });

  it("a cut-off trace is unknown for termination, not a failure", () => {
    const full = correctRun().trace();
    const healAt = full.events.findIndex((e) => e.type === "nemesis.heal");
    const trace = { header: full.header, events: full.events.slice(0, healAt + 1) };
    const termination = consensusCheckers.find((c) => c.property === "termination");
    expect(termination?.check(trace).verdict).toBe("unknown");
  });

  it("events with missing or ill-typed fields never make a checker throw", () => {
    const junk = [
      { type: "node.event", t: 1, node: "n1" },
      { type: "node.event", t: 1, node: "n1", event: { type: "decide", slot: 1e300, value: 5 } },
      {
        type: "op.invoke",
        t: 2,
        op: 1,
        client: "c1",
        call: { proc: "CONS_PROPOSE", slot: "x", value: "" },
      },
      { type: "op.invoke", t: 2, op: 2, client: "c1", node: "n1", call: null },
      { type: "rpc.send", t: 3, conn: 1, xid: 1, op: 2 },
      { type: "rpc.reply", t: 4, conn: 1, xid: 1 },
      {
        type: "op.invoke",
        t: 2,
        op: 3,
        client: "c1",
        node: "n1",
        call: { proc: "CONS_DECIDED", slot: "1" },
      },
      { type: "rpc.send", t: 3, conn: 1, xid: 3, op: 3 },
      { type: "rpc.reply", t: 4, conn: 1, xid: 3 },
      {
        type: "rpc.reply",
        t: 4,
        conn: 1,
        xid: 3,
        outcome: { kind: "success", result: { proc: "CONS_DECIDED", decided: true } },
      },
      { type: "nemesis.start", t: 5, id: 1, fault: { kind: "partition", name: "p", cuts: [] } },
    ] as unknown as TraceEvent[];
    const trace: Trace = {
      header: { ...correctRun().trace().header, params: { availability: {} } },
      events: junk,
    };
    const header = { ...trace.header, nodes: undefined } as unknown as Trace["header"];
    for (const t of [trace, { header, events: junk }]) {
      for (const c of consensusCheckers)
        expect(isCheckerBug(c.check(t).summary), c.property).toBe(false);
    }
  });
});
