/**
 * Partitions: shapes drawn over a set of nodes into cuts ("from cannot reach to"), and cuts
 * into the blackholes that enforce them on the links. A link "<a>-<b>" carries connections
 * that a opens to b; its upstream stream is a's bytes, its downstream b's.
 */
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { LinkFault } from "../net/fault-network.ts";
import type { NodeId } from "../trace/events.ts";
import type { PartitionShape } from "./plan.ts";
import { drawMinoritySize, pickOne, pickSome, shuffled } from "./random.ts";

/** [from, to]: every byte from sends towards to is dropped, on connections either opened. */
export type Cut = [string, string];

export interface ShapeInput {
  /** The nodes the partition is drawn over, in a fixed order. */
  nodes: readonly NodeId[];
  /** Clients a client-cut may cut off. */
  clients: readonly string[];
  /** How many isolate-each partitions came before this one (it isolates nodes[turn % n]). */
  turn: number;
}

/** Fewest nodes each shape needs to mean anything. */
export const SHAPE_MIN_NODES: Record<PartitionShape, number> = {
  "isolate-one": 2,
  "isolate-each": 2,
  minority: 3,
  halves: 2,
  bridge: 3,
  "majorities-ring": 4,
  "one-way": 2,
  "client-cut": 3,
};

export function drawCuts(rng: RandomGenerator, shape: PartitionShape, input: ShapeInput): Cut[] {
  const { nodes, clients, turn } = input;
  const n = nodes.length;
  switch (shape) {
    case "isolate-one":
      return isolate(pickOne(rng, nodes), nodes);
    case "isolate-each":
      return isolate(nodes[turn % n] as NodeId, nodes);
    case "minority": {
      const minority = pickSome(rng, nodes, drawMinoritySize(rng, n));
      return bothWays(minority, without(nodes, minority));
    }
    case "halves": {
      const half = pickSome(rng, nodes, Math.floor(n / 2));
      return bothWays(half, without(nodes, half));
    }
    case "bridge": {
      const bridge = pickOne(rng, nodes);
      const sides = without(nodes, [bridge]);
      const side = pickSome(rng, sides, Math.floor(sides.length / 2));
      return bothWays(side, without(sides, side));
    }
    case "majorities-ring":
      return majoritiesRing(shuffled(rng, nodes), nodes);
    case "one-way": {
      const sender = pickOne(rng, nodes);
      return without(nodes, [sender]).map((to): Cut => [sender, to]);
    }
    case "client-cut": {
      const client = pickOne(rng, clients);
      return bothWays([client], pickSome(rng, nodes, drawMinoritySize(rng, n)));
    }
  }
}

/** `node` cut off from every other of `nodes`, both ways. */
export function isolate(node: NodeId, nodes: readonly NodeId[]): Cut[] {
  return bothWays([node], without(nodes, [node]));
}

/**
 * Nodes on a ring each see themselves and the r nearest on either side,
 * r = ceil(floor(n/2) / 2): a majority, and no two nodes see the same one.
 */
function majoritiesRing(ring: readonly NodeId[], order: readonly NodeId[]): Cut[] {
  const n = ring.length;
  const reach = Math.ceil(Math.floor(n / 2) / 2);
  const position = new Map(ring.map((node, i) => [node, i]));
  const cuts: Cut[] = [];
  order.forEach((a, i) => {
    for (const b of order.slice(i + 1)) {
      const apart = Math.abs((position.get(a) ?? 0) - (position.get(b) ?? 0));
      if (Math.min(apart, n - apart) > reach) cuts.push([a, b], [b, a]);
    }
  });
  return cuts;
}

function bothWays(side: readonly string[], other: readonly string[]): Cut[] {
  return side.flatMap((a) =>
    other.flatMap((b): Cut[] => [
      [a, b],
      [b, a],
    ]),
  );
}

function without<T>(items: readonly T[], removed: readonly T[]): T[] {
  return items.filter((item) => !removed.includes(item));
}

/**
 * The blackholes that enforce the cuts: [from, to] drops from's bytes upstream on link
 * from-to and downstream on link to-from (whichever exist). A cut on no link is an error.
 */
export function partitionBlackholes(cuts: readonly Cut[], links: readonly string[]): LinkFault[] {
  const known = new Set(links);
  const faults = new Map<string, LinkFault>();
  for (const [from, to] of cuts) {
    const opened = `${from}-${to}`;
    const accepted = `${to}-${from}`;
    if (!known.has(opened) && !known.has(accepted)) {
      throw new Error(
        `partition cut ${from} -/-> ${to} matches no link (neither ${opened} nor ${accepted}); known links: ${links.join(", ") || "none"}`,
      );
    }
    if (known.has(opened)) {
      faults.set(`${opened}/upstream`, { kind: "blackhole", link: opened, direction: "upstream" });
    }
    if (known.has(accepted)) {
      faults.set(`${accepted}/downstream`, {
        kind: "blackhole",
        link: accepted,
        direction: "downstream",
      });
    }
  }
  return [...faults.values()];
}
