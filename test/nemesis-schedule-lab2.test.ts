import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  type DecisionReaction,
  NEMESIS_PLAN_SCHEMA,
  type NemesisPlan,
  PARTITION_SHAPES,
} from "../src/nemesis/plan.ts";
import { canReact, drawReaction, reactionRng, reactionsOf } from "../src/nemesis/reactions.ts";
import { activeMs, clientsOf, drawSchedule } from "../src/nemesis/schedule.ts";
import type { ScheduledFault } from "../src/trace/events.ts";

const nodes = ["n1", "n2", "n3", "n4", "n5"];
const links = [
  ...nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => `${a}-${b}`)),
  ...nodes.map((n) => `c1-${n}`),
];
const opts = { timeScale: 1, links, nodes };

const plan: NemesisPlan = {
  durationMs: 60_000,
  startAfterMs: 1_000,
  quietEndMs: 5_000,
  gapMs: { min: 300, max: 2_000 },
  faultDurationMs: { min: 500, max: 3_000 },
  overlap: true,
  minStableMs: 300,
  faults: [
    {
      kind: "partition",
      weight: 3,
      // isolate-each has its own test: it cuts nodes off in turn rather than at random.
      shapes: PARTITION_SHAPES.filter((shape) => shape !== "isolate-each"),
    },
    { kind: "crash-group", weight: 1, count: "minority", durationMs: { min: 200, max: 800 } },
    { kind: "pause-group", weight: 1, count: "all" },
    { kind: "latency", weight: 1, latencyMs: { min: 10, max: 50 }, jitterMs: { min: 0, max: 5 } },
  ],
  stablePeriods: [
    { atMs: 10_000, durationMs: 6_000 },
    { atMs: 30_000, durationMs: 8_000 },
  ],
};

const faultsOnly = (schedule: ScheduledFault[]) =>
  schedule.filter((s) => s.fault.kind !== "stable");
const span = (s: ScheduledFault): [number, number] => [s.atMs, s.atMs + activeMs(s)];
const meet = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];
const nodesHit = (s: ScheduledFault) =>
  "nodes" in s.fault ? s.fault.nodes : "node" in s.fault ? [s.fault.node] : [];

describe("drawSchedule with lab 2 faults", () => {
  it("derives the clients from the links", () => {
    expect(clientsOf(links, nodes)).toEqual(["c1"]);
    expect(clientsOf(["c1-n1", "reader-n1", "n1-n2"], ["n1", "n2"])).toEqual(["c1", "reader"]);
  });

  it("is deterministic and differs between seeds", () => {
    const a = JSON.stringify(drawSchedule(42, plan, opts));
    expect(JSON.stringify(drawSchedule(42, structuredClone(plan), { ...opts }))).toBe(a);
    const all = new Set(
      Array.from({ length: 20 }, (_, seed) => JSON.stringify(drawSchedule(seed, plan, opts))),
    );
    expect(all.size).toBe(20);
  });

  it("draws every shape, never two partitions at once, never two faults on one node", () => {
    const shapes = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const schedule = faultsOnly(drawSchedule(seed, plan, opts));
      for (const [i, a] of schedule.entries()) {
        if (a.fault.kind === "partition") shapes.add(a.fault.name);
        for (const b of schedule.slice(i + 1)) {
          if (!meet(span(a), span(b)) || a.atMs + activeMs(a) === b.atMs) continue;
          expect(a.fault.kind === "partition" && b.fault.kind === "partition").toBe(false);
          expect(nodesHit(a).filter((n) => nodesHit(b).includes(n))).toEqual([]);
        }
      }
    }
    expect([...shapes].sort()).toEqual([
      "bridge",
      "client-cut",
      "halves",
      "isolate-one",
      "majorities-ring",
      "minority",
      "one-way",
    ]);
  });

  it("crashes a minority together, or pauses every node", () => {
    let groups = 0;
    for (const seed of [1, 2, 3, 4]) {
      for (const s of drawSchedule(seed, plan, opts)) {
        if (s.fault.kind === "crash-group") {
          groups += 1;
          expect([1, 2]).toContain(s.fault.nodes.length);
          expect(s.fault.restartAfterMs).toBe(s.durationMs);
        }
        if (s.fault.kind === "pause-group") expect(s.fault.nodes).toEqual(nodes);
      }
    }
    expect(groups).toBeGreaterThan(0);
  });

  it("leaves stable periods free, records them, and numbers entries in time order", () => {
    for (const seed of [1, 2, 3, 99]) {
      const schedule = drawSchedule(seed, plan, { ...opts, timeScale: 2 });
      schedule.forEach((s, i) => {
        expect(s.id).toBe(i + 1);
        if (i > 0) expect(s.atMs).toBeGreaterThanOrEqual((schedule[i - 1] as ScheduledFault).atMs);
      });
      const stable = schedule.filter((s) => s.fault.kind === "stable");
      expect(stable.map((s) => [s.atMs, s.durationMs])).toEqual([
        [20_000, 12_000],
        [60_000, 16_000],
      ]);
      for (const s of faultsOnly(schedule)) {
        for (const p of stable) expect(meet(span(s), span(p))).toBe(false);
      }
    }
  });

  it("isolates each node in turn", () => {
    const turns: NemesisPlan = {
      ...plan,
      overlap: false,
      faults: [
        { kind: "partition", weight: 1, shapes: ["isolate-each"], nodes: ["n1", "n2", "n3"] },
      ],
      stablePeriods: [],
    };
    const order = drawSchedule(3, turns, opts).map((s) =>
      s.fault.kind === "partition" ? (s.fault.cuts[0]?.[0] as string) : "",
    );
    expect(order.length).toBeGreaterThan(4);
    expect(order.slice(0, 4)).toEqual(["n1", "n2", "n3", "n1"]);
    // The partition is drawn over the given nodes only.
    for (const s of drawSchedule(3, turns, opts)) {
      if (s.fault.kind === "partition") {
        expect(s.fault.cuts.flat().every((n) => ["n1", "n2", "n3"].includes(n))).toBe(true);
      }
    }
  });

  it("rejects what cannot be drawn, naming every problem", () => {
    const bad: NemesisPlan = {
      ...plan,
      faults: [
        {
          kind: "partition",
          weight: 1,
          shapes: ["majorities-ring", "client-cut"],
          nodes: ["n1", "n2", "n3"],
        },
        { kind: "crash-group", weight: 1, nodes: ["n1", "n2"] },
      ],
      stablePeriods: [
        { atMs: 1_000, durationMs: 5_000 },
        { atMs: 4_000, durationMs: 1_000 },
      ],
      reactions: [
        {
          on: "decide",
          times: 1,
          do: "isolate-decider-crash-minority",
          restartAfterMs: { min: 100, max: 500 },
          maxHoldMs: 0,
        },
      ],
    };
    expect(() => drawSchedule(1, bad, { ...opts, links: ["n1-n2"] })).toThrow(
      /shape majorities-ring needs at least 4 nodes, it has 3.*client-cut needs a client link.*faults\[1\] \(crash-group\): a minority needs at least 3 nodes.*overlaps the stable period at 1000 ms.*maxHoldMs must be a whole number of milliseconds >= 1/,
    );
  });

  it("has a JSON Schema that accepts lab 2 plans and rejects unknown shapes", () => {
    const validate = new Ajv({ allErrors: true }).compile(NEMESIS_PLAN_SCHEMA);
    const reactive: NemesisPlan = {
      ...plan,
      faults: [],
      reactions: [
        {
          on: "decide",
          times: 3,
          do: "isolate-decider-crash-minority",
          restartAfterMs: { min: 1, max: 2 },
          maxHoldMs: 30_000,
        },
      ],
    };
    expect(validate(JSON.parse(JSON.stringify(plan)))).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(reactive)))).toBe(true);
    expect(
      validate({ ...plan, faults: [{ kind: "partition", weight: 1, shapes: ["triangle"] }] }),
    ).toBe(false);
    expect(validate({ ...plan, stablePeriods: [{ atMs: 1 }] })).toBe(false);
    // A hold without its bound could last for ever.
    const first = reactive.reactions?.[0] as DecisionReaction | undefined;
    const { maxHoldMs: _unbounded, ...withoutBound } = first ?? {};
    expect(validate({ ...reactive, reactions: [withoutBound] })).toBe(false);
  });
});

describe("reactions", () => {
  const reactive: NemesisPlan = {
    ...plan,
    faults: [],
    stablePeriods: [],
    reactions: [
      {
        on: "decide",
        times: 3,
        do: "isolate-decider-crash-minority",
        restartAfterMs: { min: 1_000, max: 3_000 },
        maxHoldMs: 30_000,
      },
      {
        on: "decide",
        times: 1,
        do: "isolate-decider-crash-minority",
        restartAfterMs: { min: 1_000, max: 3_000 },
        maxHoldMs: 30_000,
      },
    ],
  };

  it("resolve to specs with the window's end, scaled", () => {
    const specs = reactionsOf(9, reactive, { ...opts, timeScale: 0.5 });
    expect(specs.map((s) => [s.index, s.untilMs, s.seed])).toEqual([
      [0, 27_500, 9],
      [1, 27_500, 9],
    ]);
    expect(drawSchedule(9, reactive, opts)).toEqual([]);
  });

  it("draw the same choices for the same seed, others for another seed or reaction", () => {
    const choices = (seed: number, index: number) => {
      const spec = reactionsOf(seed, reactive, opts)[index];
      if (!spec) throw new Error("no spec");
      const rng = reactionRng(spec);
      return [drawReaction(rng, spec, "n2"), drawReaction(rng, spec, "n4")] as const;
    };
    expect(choices(5, 0)).toEqual(choices(5, 0));
    expect(choices(5, 0)[0].isolation).toEqual({
      kind: "partition",
      name: "isolate-one",
      cuts: ["n1", "n3", "n4", "n5"].flatMap((n) => [
        ["n2", n],
        [n, "n2"],
      ]),
    });
    const distinct = new Set(
      [1, 2, 3, 4, 5, 6].flatMap((seed) => [0, 1].map((i) => JSON.stringify(choices(seed, i)))),
    );
    expect(distinct.size).toBeGreaterThan(8);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { crash, awaited, maxHoldMs } = choices(seed, 0)[0];
      expect(crash.nodes).not.toContain("n2");
      expect([1, 2]).toContain(crash.nodes.length);
      expect(crash.restartAfterMs).toBeGreaterThanOrEqual(1_000);
      expect(crash.restartAfterMs).toBeLessThanOrEqual(3_000);
      // The decider stays cut off until every other node has decided, or 30 s.
      expect(awaited).toEqual(["n1", "n3", "n4", "n5"]);
      expect(maxHoldMs).toBe(30_000);
    }
  });

  it("scale what they keep in force, the hold included", () => {
    const spec = reactionsOf(5, reactive, { ...opts, timeScale: 0.5 })[0];
    const full = reactionsOf(5, reactive, opts)[0];
    if (!spec || !full) throw new Error("no spec");
    const scaled = drawReaction(reactionRng(spec), spec, "n2");
    const unscaled = drawReaction(reactionRng(full), full, "n2");
    expect(scaled.crash.nodes).toEqual(unscaled.crash.nodes);
    expect(scaled.crash.restartAfterMs).toBe(Math.round(unscaled.crash.restartAfterMs * 0.5));
    expect(scaled.maxHoldMs).toBe(15_000);
  });

  it("fire only clear of scheduled entries and before the window's end", () => {
    const schedule: ScheduledFault[] = [
      { id: 1, atMs: 1_000, durationMs: 500, fault: { kind: "stable" } },
      {
        id: 2,
        atMs: 5_000,
        durationMs: 500,
        fault: { kind: "crash", node: "n1", restartAfterMs: 800 },
      },
    ];
    expect(canReact(0, 900, schedule, 10_000)).toBe(true);
    expect(canReact(0, 1_001, schedule, 10_000)).toBe(false);
    expect(canReact(1_200, 100, schedule, 10_000)).toBe(false);
    expect(canReact(5_700, 100, schedule, 10_000)).toBe(false);
    expect(canReact(5_799, 100, schedule, 10_000)).toBe(false);
    expect(canReact(5_800, 100, schedule, 10_000)).toBe(true);
    expect(canReact(900, 100, schedule, 10_000)).toBe(true);
    expect(canReact(9_000, 1_001, schedule, 10_000)).toBe(false);
  });
});
