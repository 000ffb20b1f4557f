import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { type Cut, drawCuts, isolate, partitionBlackholes } from "../src/nemesis/partition.ts";
import type { PartitionShape } from "../src/nemesis/plan.ts";
import { describeFault } from "../src/net/describe-fault.ts";

const THREE = ["n1", "n2", "n3"];
const FIVE = ["n1", "n2", "n3", "n4", "n5"];
const SEEDS = Array.from({ length: 40 }, (_, i) => i);

function cutsFor(shape: PartitionShape, nodes: string[], seed: number, turn = 0): Cut[] {
  // Jumped once: xoroshiro128plus's first outputs for small seeds are nearly alike.
  const rng = xoroshiro128plus(seed);
  rng.jump();
  return drawCuts(rng, shape, { nodes, clients: ["c1", "c2"], turn });
}

/** Who each member can still send to, among `members`. */
function reach(cuts: Cut[], members: string[]): Map<string, string[]> {
  const cut = new Set(cuts.map(([a, b]) => `${a}>${b}`));
  return new Map(members.map((a) => [a, members.filter((b) => b !== a && !cut.has(`${a}>${b}`))]));
}

const key = (cuts: Cut[]) => cuts.map(([a, b]) => `${a}>${b}`).sort();
const symmetric = (cuts: Cut[]) =>
  cuts.every(([a, b]) => cuts.some(([c, d]) => c === b && d === a));

/** The cuts of a clean split: every member of a cut off from every member of b, both ways. */
const split = (a: string[], b: string[]): string[] =>
  key(
    a.flatMap((x) =>
      b.flatMap((y): Cut[] => [
        [x, y],
        [y, x],
      ]),
    ),
  );

describe("partition shapes, for 3 and 5 nodes", () => {
  for (const nodes of [THREE, FIVE]) {
    const n = nodes.length;

    it(`isolate-one cuts one random node off from the ${n - 1} others, both ways`, () => {
      const isolated = new Set<string>();
      for (const seed of SEEDS) {
        const cuts = cutsFor("isolate-one", nodes, seed);
        const [alone] = [...reach(cuts, nodes)].find(([, to]) => to.length === 0) ?? [];
        expect(alone).toBeDefined();
        isolated.add(alone as string);
        const rest = nodes.filter((x) => x !== alone);
        expect(key(cuts)).toEqual(split([alone as string], rest));
      }
      expect(isolated.size).toBe(n);
    });

    it(`isolate-each isolates ${nodes[0]}, then ${nodes[1]}, ... in order`, () => {
      for (let turn = 0; turn < n + 1; turn += 1) {
        const alone = nodes[turn % n] as string;
        expect(key(cutsFor("isolate-each", nodes, 7, turn))).toEqual(
          split(
            [alone],
            nodes.filter((x) => x !== alone),
          ),
        );
      }
    });

    for (const [shape, sizes] of [
      ["minority", n === 3 ? [1] : [1, 2]],
      ["halves", [Math.floor(n / 2)]],
    ] as const) {
      it(`${shape} splits off a group of ${sizes.join(" or ")} from the rest`, () => {
        const seen = new Set<string>();
        for (const seed of SEEDS) {
          const cuts = cutsFor(shape, nodes, seed);
          expect(symmetric(cuts)).toBe(true);
          const reached = reach(cuts, nodes);
          // The smaller side is the one whose members reach fewest others.
          const smallest = Math.min(...[...reached.values()].map((to) => to.length));
          const mine = nodes.filter((x) => reached.get(x)?.length === smallest);
          expect(sizes).toContain(mine.length);
          expect(smallest).toBe(mine.length - 1);
          expect(key(cuts)).toEqual(
            split(
              mine,
              nodes.filter((x) => !mine.includes(x)),
            ),
          );
          seen.add(mine.join(","));
        }
        expect(seen.size).toBeGreaterThan(2);
      });
    }

    it("bridge: two halves cut from each other, one node reaching both", () => {
      for (const seed of SEEDS) {
        const cuts = cutsFor("bridge", nodes, seed);
        const reached = reach(cuts, nodes);
        const bridges = nodes.filter((x) => reached.get(x)?.length === n - 1);
        expect(bridges).toHaveLength(1);
        const sides = nodes.filter((x) => x !== bridges[0]);
        const first = sides.filter((x) => !cuts.some(([a, b]) => a === sides[0] && b === x));
        const second = sides.filter((x) => !first.includes(x));
        expect([first.length, second.length].sort()).toEqual(
          [Math.floor((n - 1) / 2), Math.ceil((n - 1) / 2)].sort(),
        );
        expect(key(cuts)).toEqual(split(first, second));
      }
    });

    it("one-way: one node cannot send to the others but hears them all", () => {
      for (const seed of SEEDS) {
        const cuts = cutsFor("one-way", nodes, seed);
        const sender = cuts[0]?.[0] as string;
        expect(key(cuts)).toEqual(key(nodes.filter((x) => x !== sender).map((x) => [sender, x])));
      }
    });

    it("client-cut: one client cut off from a minority of the nodes, both ways", () => {
      for (const seed of SEEDS) {
        const cuts = cutsFor("client-cut", nodes, seed);
        const client = cuts[0]?.[0] as string;
        expect(["c1", "c2"]).toContain(client);
        const cutNodes = nodes.filter((x) => cuts.some(([a, b]) => a === client && b === x));
        expect(cutNodes.length).toBeGreaterThanOrEqual(1);
        expect(cutNodes.length).toBeLessThanOrEqual(Math.floor((n - 1) / 2));
        expect(key(cuts)).toEqual(split([client], cutNodes));
      }
    });
  }

  it("majorities-ring (5 nodes): each node sees a majority, no two the same one", () => {
    for (const seed of SEEDS) {
      const cuts = cutsFor("majorities-ring", FIVE, seed);
      expect(symmetric(cuts)).toBe(true);
      const seen = [...reach(cuts, FIVE)].map(([self, to]) => [self, ...to].sort().join(","));
      for (const majority of seen) expect(majority.split(",")).toHaveLength(3);
      expect(new Set(seen).size).toBe(5);
    }
  });

  it("majorities-ring (4 nodes): each node is cut from the one opposite", () => {
    const cuts = cutsFor("majorities-ring", ["n1", "n2", "n3", "n4"], 3);
    expect(cuts).toHaveLength(4);
    for (const to of reach(cuts, ["n1", "n2", "n3", "n4"]).values()) expect(to).toHaveLength(2);
  });

  it("is deterministic for a seed", () => {
    for (const shape of ["minority", "bridge", "majorities-ring", "client-cut"] as const) {
      expect(cutsFor(shape, FIVE, 11)).toEqual(cutsFor(shape, FIVE, 11));
    }
  });
});

describe("partitionBlackholes", () => {
  const links = ["n1-n2", "n2-n1", "n1-n3", "n3-n1", "n2-n3", "n3-n2", "c1-n1", "c1-n2"];

  it("drops from's bytes upstream on from-to and downstream on to-from", () => {
    expect(partitionBlackholes([["n1", "n2"]], links)).toEqual([
      { kind: "blackhole", link: "n1-n2", direction: "upstream" },
      { kind: "blackhole", link: "n2-n1", direction: "downstream" },
    ]);
  });

  it("cuts a client both ways on its one link", () => {
    expect(
      partitionBlackholes(
        [
          ["c1", "n1"],
          ["n1", "c1"],
        ],
        links,
      ),
    ).toEqual([
      { kind: "blackhole", link: "c1-n1", direction: "upstream" },
      { kind: "blackhole", link: "c1-n1", direction: "downstream" },
    ]);
  });

  it("isolating a node blackholes both streams of its 4 links, once each", () => {
    const faults = partitionBlackholes(isolate("n1", ["n1", "n2", "n3"]), links);
    expect(faults.map((f) => `${f.link}/${"direction" in f ? f.direction : ""}`).sort()).toEqual([
      "n1-n2/downstream",
      "n1-n2/upstream",
      "n1-n3/downstream",
      "n1-n3/upstream",
      "n2-n1/downstream",
      "n2-n1/upstream",
      "n3-n1/downstream",
      "n3-n1/upstream",
    ]);
  });

  it("refuses a cut that no link carries", () => {
    expect(() => partitionBlackholes([["n1", "n9"]], links)).toThrow(
      /cut n1 -\/-> n9 matches no link \(neither n1-n9 nor n9-n1\)/,
    );
  });
});

describe("describeFault for lab 2 faults", () => {
  const partition = (name: string, cuts: Cut[]) => describeFault({ kind: "partition", name, cuts });

  it("reads clean splits as groups, others as pairs or one-way arrows", () => {
    expect(partition("halves", isolate("n3", THREE))).toBe("partition halves: {n1,n2} | {n3}");
    expect(
      partition("one-way", [
        ["n1", "n2"],
        ["n1", "n3"],
      ]),
    ).toBe("partition one-way: n1 -/-> {n2,n3}");
    expect(
      partition("majorities-ring", [
        ["n1", "n3"],
        ["n3", "n1"],
        ["n1", "n4"],
        ["n4", "n1"],
        ["n2", "n4"],
        ["n4", "n2"],
      ]),
    ).toBe("partition majorities-ring: n1 x n3, n1 x n4, n2 x n4");
    expect(describeFault({ kind: "crash-group", nodes: ["n1", "n2"], restartAfterMs: 300 })).toBe(
      "crash n1, n2 together, restart after 300 ms",
    );
    expect(describeFault({ kind: "pause-group", nodes: ["n3"] })).toBe("pause n3");
    expect(describeFault({ kind: "stable" })).toBe("stable period (no fault)");
  });
});
