/**
 * Pins lab 1's schedules: the lab 2 nemesis extends drawSchedule, and a lab 1 seed must keep
 * reproducing the run it reproduced before (the plans are lab 1's as first published).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { NemesisPlan } from "../src/nemesis/plan.ts";
import { drawSchedule } from "../src/nemesis/schedule.ts";
import lab1Plans from "./support/lab1-plans-as-published.json" with { type: "json" };

/** A frozen copy of labs/rpc/lab.json's plans: it pins drawSchedule, not the lab's plans. */
const LAB1_PLANS = lab1Plans as Record<string, NemesisPlan>;

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
