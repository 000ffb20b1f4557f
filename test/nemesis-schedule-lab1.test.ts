/**
 * Pins lab 1's schedules: the lab 2 nemesis extends drawSchedule, and a lab 1 seed must keep
 * reproducing the run it reproduced before (the plans are lab 1's as first published).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { NemesisPlan } from "../src/nemesis/plan.ts";
import { drawSchedule } from "../src/nemesis/schedule.ts";

const LAB1_PLANS: Record<string, NemesisPlan> = {
  "lost-replies": {
    durationMs: 6000,
    startAfterMs: 300,
    quietEndMs: 500,
    faults: [{ kind: "blackhole", weight: 1, direction: "downstream" }],
    gapMs: { min: 200, max: 600 },
    faultDurationMs: { min: 300, max: 900 },
    overlap: true,
    minStableMs: 100,
  },
  "lost-requests": {
    durationMs: 6000,
    startAfterMs: 300,
    quietEndMs: 500,
    faults: [{ kind: "blackhole", weight: 1, direction: "upstream" }],
    gapMs: { min: 200, max: 600 },
    faultDurationMs: { min: 300, max: 900 },
    overlap: true,
    minStableMs: 100,
  },
  "sliced-streams": {
    durationMs: 6000,
    startAfterMs: 0,
    quietEndMs: 500,
    faults: [
      {
        kind: "slice",
        weight: 3,
        direction: "upstream",
        averageSize: { min: 1, max: 6 },
        sizeVariation: { min: 0, max: 3 },
        delayUs: { min: 100, max: 2000 },
      },
      {
        kind: "latency",
        weight: 1,
        latencyMs: { min: 20, max: 150 },
        jitterMs: { min: 0, max: 100 },
      },
    ],
    gapMs: { min: 100, max: 400 },
    faultDurationMs: { min: 800, max: 2000 },
    overlap: true,
    minStableMs: 100,
  },
  "broken-connections": {
    durationMs: 6000,
    startAfterMs: 300,
    quietEndMs: 500,
    faults: [
      { kind: "truncate", weight: 2, bytes: { min: 10, max: 400 } },
      { kind: "reset", weight: 1 },
      { kind: "link-down", weight: 1 },
    ],
    gapMs: { min: 200, max: 700 },
    faultDurationMs: { min: 200, max: 800 },
    overlap: true,
    minStableMs: 100,
  },
  "crash-restart": {
    durationMs: 6000,
    startAfterMs: 500,
    quietEndMs: 800,
    faults: [{ kind: "crash", weight: 1, durationMs: { min: 100, max: 600 } }],
    gapMs: { min: 600, max: 1500 },
    faultDurationMs: { min: 100, max: 600 },
    overlap: false,
    minStableMs: 700,
  },
  pauses: {
    durationMs: 6000,
    startAfterMs: 300,
    quietEndMs: 500,
    faults: [{ kind: "pause", weight: 1 }],
    gapMs: { min: 300, max: 900 },
    faultDurationMs: { min: 300, max: 1200 },
    overlap: false,
    minStableMs: 300,
  },
  mixed: {
    durationMs: 8000,
    startAfterMs: 300,
    quietEndMs: 800,
    faults: [
      { kind: "blackhole", weight: 2 },
      {
        kind: "latency",
        weight: 1,
        latencyMs: { min: 20, max: 200 },
        jitterMs: { min: 0, max: 100 },
      },
      {
        kind: "slice",
        weight: 1,
        averageSize: { min: 1, max: 16 },
        sizeVariation: { min: 0, max: 8 },
        delayUs: { min: 100, max: 1000 },
      },
      { kind: "truncate", weight: 1, bytes: { min: 10, max: 400 } },
      { kind: "reset", weight: 1 },
      { kind: "crash", weight: 1, durationMs: { min: 100, max: 500 } },
      { kind: "pause", weight: 1 },
    ],
    gapMs: { min: 300, max: 800 },
    faultDurationMs: { min: 200, max: 900 },
    overlap: false,
    minStableMs: 200,
  },
};

const opts = {
  timeScale: 1,
  links: ["c1", "c2", "c3", "c4", "reader"].map((client) => `${client}-n1`),
  nodes: ["n1"],
};

describe("lab 1 schedules stay byte for byte the same", () => {
  it("mixed, seed 1", () => {
    expect(drawSchedule(1, LAB1_PLANS.mixed as NemesisPlan, opts)).toEqual([
      {
        id: 1,
        atMs: 852,
        durationMs: 299,
        fault: { kind: "reset", link: "c1-n1", direction: "downstream" },
      },
      {
        id: 2,
        atMs: 1351,
        durationMs: 459,
        fault: { kind: "truncate", link: "c2-n1", direction: "downstream", bytes: 275 },
      },
      {
        id: 3,
        atMs: 2010,
        durationMs: 696,
        fault: { kind: "blackhole", link: "c2-n1", direction: "downstream" },
      },
      {
        id: 4,
        atMs: 2906,
        durationMs: 714,
        fault: { kind: "reset", link: "c4-n1", direction: "upstream" },
      },
      {
        id: 5,
        atMs: 3820,
        durationMs: 522,
        fault: {
          kind: "slice",
          link: "c3-n1",
          direction: "downstream",
          averageSize: 2,
          sizeVariation: 4,
          delayUs: 388,
        },
      },
      {
        id: 6,
        atMs: 4542,
        durationMs: 406,
        fault: { kind: "crash", node: "n1", restartAfterMs: 406 },
      },
      {
        id: 7,
        atMs: 5148,
        durationMs: 397,
        fault: {
          kind: "slice",
          link: "reader-n1",
          direction: "downstream",
          averageSize: 3,
          sizeVariation: 5,
          delayUs: 508,
        },
      },
      {
        id: 8,
        atMs: 5859,
        durationMs: 442,
        fault: { kind: "reset", link: "c1-n1", direction: "upstream" },
      },
      {
        id: 9,
        atMs: 6578,
        durationMs: 583,
        fault: { kind: "blackhole", link: "reader-n1", direction: "downstream" },
      },
    ]);
  });

  it("every lab 1 plan, seeds 1 to 50, at time scale 0.5", () => {
    const all = Object.values(LAB1_PLANS).map((plan) =>
      Array.from({ length: 50 }, (_, i) => drawSchedule(i + 1, plan, { ...opts, timeScale: 0.5 })),
    );
    const digest = createHash("sha256").update(JSON.stringify(all)).digest("hex");
    expect(digest).toBe("dd97aa121753b07476f69fad97091ba897e54fa71376ef071776883452ac43ee");
  });
});
