import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { NEMESIS_PLAN_SCHEMA, type NemesisPlan } from "../src/nemesis/plan.ts";
import { drawSchedule } from "../src/nemesis/schedule.ts";

const links = ["client-c1-n1", "client-c2-n1", "n1-n2"];
const nodes = ["n1", "n2"];
const opts = { timeScale: 1, links, nodes };

const plan: NemesisPlan = {
  durationMs: 60_000,
  startAfterMs: 1_000,
  quietEndMs: 5_000,
  gapMs: { min: 500, max: 3_000 },
  faultDurationMs: { min: 200, max: 2_000 },
  overlap: false,
  minStableMs: 300,
  faults: [
    { kind: "latency", weight: 3, latencyMs: { min: 10, max: 200 }, jitterMs: { min: 0, max: 20 } },
    { kind: "blackhole", weight: 1, direction: "downstream" },
    { kind: "reset", weight: 1 },
    { kind: "truncate", weight: 1, bytes: { min: 1, max: 64 } },
    {
      kind: "slice",
      weight: 1,
      averageSize: { min: 4, max: 16 },
      sizeVariation: { min: 0, max: 3 },
      delayUs: { min: 0, max: 1000 },
    },
    { kind: "bandwidth", weight: 1, rateKBps: { min: 1, max: 100 } },
    { kind: "link-down", weight: 1, links: ["n1-n2"] },
    { kind: "crash", weight: 2, durationMs: { min: 100, max: 1_000 } },
    { kind: "pause", weight: 1, nodes: ["n2"] },
  ],
};

describe("drawSchedule", () => {
  it("is deterministic: same seed and plan, same schedule byte for byte", () => {
    const a = JSON.stringify(drawSchedule(42, plan, opts));
    const b = JSON.stringify(drawSchedule(42, structuredClone(plan), { ...opts }));
    expect(a).toBe(b);
    expect(drawSchedule(42, plan, opts).length).toBeGreaterThan(5);
  });

  it("differs between seeds", () => {
    const schedules = new Set(
      Array.from({ length: 20 }, (_, seed) => JSON.stringify(drawSchedule(seed, plan, opts))),
    );
    expect(schedules.size).toBe(20);
  });

  it("keeps faults apart by the stable gap, inside the window, in order", () => {
    for (const seed of [1, 2, 3, 99]) {
      const schedule = drawSchedule(seed, plan, opts);
      schedule.forEach((s, i) => {
        expect(s.id).toBe(i + 1);
        expect(s.atMs).toBeGreaterThanOrEqual(1_000);
        expect(s.atMs + s.durationMs).toBeLessThanOrEqual(60_000 - 5_000);
        const previous = schedule[i - 1];
        if (previous) {
          expect(s.atMs).toBeGreaterThanOrEqual(previous.atMs + previous.durationMs + 300);
        }
        if (s.fault.kind === "crash") expect(s.fault.restartAfterMs).toBe(s.durationMs);
        if (s.fault.kind === "link-down") expect(s.fault.link).toBe("n1-n2");
        if (s.fault.kind === "pause") expect(s.fault.node).toBe("n2");
        if (s.fault.kind === "blackhole") expect(s.fault.direction).toBe("downstream");
      });
    }
  });

  it("scales every time by timeScale and nothing else", () => {
    const base = drawSchedule(7, plan, opts);
    const slow = drawSchedule(7, plan, { ...opts, timeScale: 3 });
    expect(slow.map((s) => [s.atMs, s.durationMs])).toEqual(
      base.map((s) => [s.atMs * 3, s.durationMs * 3]),
    );
    const param = (s: (typeof base)[number]) =>
      s.fault.kind === "crash" ? { ...s.fault, restartAfterMs: 0 } : s.fault;
    expect(slow.map(param)).toEqual(base.map(param));
  });

  it("with overlap, lets faults overlap but never two on one target", () => {
    const overlapping = drawSchedule(
      5,
      { ...plan, overlap: true, gapMs: { min: 50, max: 400 } },
      opts,
    );
    const target = (s: (typeof overlapping)[number]) =>
      "link" in s.fault ? `link:${s.fault.link}` : "node" in s.fault ? `node:${s.fault.node}` : "";
    let overlaps = 0;
    for (const [i, a] of overlapping.entries()) {
      for (const b of overlapping.slice(i + 1)) {
        if (b.atMs < a.atMs + a.durationMs) {
          overlaps += 1;
          expect(target(a)).not.toBe(target(b));
        }
      }
    }
    expect(overlaps).toBeGreaterThan(0);
  });

  it("respects maxFaults", () => {
    expect(drawSchedule(3, { ...plan, maxFaults: 2 }, opts)).toHaveLength(2);
  });

  it("rejects a plan that makes no sense, naming every problem", () => {
    const bad: NemesisPlan = {
      ...plan,
      gapMs: { min: 10, max: 1 },
      faults: [
        { kind: "pause", weight: 1, nodes: ["n7"] },
        { kind: "truncate", weight: 0, bytes: { min: 5, max: 2 } },
      ],
    };
    expect(() => drawSchedule(1, bad, opts)).toThrow(
      /gapMs.*faults\[0\] \(pause\): unknown nodes n7.*faults\[1\] \(truncate\): weight.*faults\[1\] \(truncate\)\.bytes/,
    );
    expect(() => drawSchedule(1, plan, { ...opts, timeScale: 0 })).toThrow(/timeScale/);
  });

  it("has a JSON Schema that accepts a plan and rejects a malformed one", () => {
    const validate = new Ajv({ allErrors: true }).compile(NEMESIS_PLAN_SCHEMA);
    expect(validate(JSON.parse(JSON.stringify(plan)))).toBe(true);
    expect(validate({ ...plan, faults: [{ kind: "meteor", weight: 1 }] })).toBe(false);
    expect(validate({ ...plan, surprise: true })).toBe(false);
  });
});
