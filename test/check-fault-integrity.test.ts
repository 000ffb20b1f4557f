/**
 * fault-integrity judges the fault network's checks as the trace records them: any mismatch
 * fails the run (each shown once, however many checks repeat it), clean checks pass, no check
 * at all is "skipped" (traces of an earlier dslab), and checks that could not read anything
 * decide nothing. The live run lists it for every lab.
 */
import { describe, expect, it } from "vitest";
import { checkFaultIntegrity } from "../src/check/fault-integrity.ts";
import { runCheckers } from "../src/lab/run-scenario.ts";
import type { LinkMismatch, NetVerifyEvent, Trace } from "../src/trace/events.ts";
import { syntheticHeader } from "./support/synthetic-trace.ts";

const moved: LinkMismatch = {
  link: "c1-n1",
  what: "listen",
  wanted: "127.0.0.1:4000",
  found: "127.0.0.1:5000",
};

function traceOf(checks: Array<Partial<NetVerifyEvent>>): Trace {
  return {
    header: syntheticHeader(),
    events: [
      ...checks.map(
        (check, i): NetVerifyEvent => ({
          type: "net.verify",
          t: 100 * (i + 1),
          links: 5,
          mismatches: [],
          ...check,
        }),
      ),
      { type: "end", t: 1_000, status: "completed" },
    ],
  };
}

describe("fault-integrity", () => {
  it("fails on a mismatch, each shown once with the check that found it first", () => {
    const result = checkFaultIntegrity(
      traceOf([{ connections: 3 }, { mismatches: [moved] }, { mismatches: [moved], final: true }]),
    );
    expect(result.verdict).toBe("fail");
    expect(result.summary).toMatch(/2 of 3 checks .* c1-n1/);
    expect(result.evidence).toEqual([
      {
        message: "at 200.0 ms, link c1-n1: listen should be 127.0.0.1:4000, was 127.0.0.1:5000",
        events: [1],
      },
    ]);
  });

  it("passes when every check found the network as set, and says what it saw", () => {
    const result = checkFaultIntegrity(traceOf([{ connections: 2 }, { connections: 4 }]));
    expect(result.verdict).toBe("pass");
    expect(result.summary).toMatch(/2 checks .* up to 4 connections/);
  });

  it("is skipped on a trace with no check (an earlier dslab's), unknown when none could read", () => {
    expect(checkFaultIntegrity(traceOf([])).verdict).toBe("skipped");
    const unread = checkFaultIntegrity(traceOf([{ links: 0, error: "no answer" }]));
    expect(unread.verdict).toBe("unknown");
    expect(unread.summary).toContain("no answer");
  });

  it("runs for every lab, whatever checkers the lab lists", () => {
    const checks = runCheckers([], traceOf([{ mismatches: [moved] }]));
    expect(checks.find((c) => c.property === "fault-integrity")?.verdict).toBe("fail");
  });
});
