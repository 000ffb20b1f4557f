/**
 * Stable periods for availability: maximal stretches in which a set M of nodes is running
 * (ready, not killed, not paused) and no fault touches M. A fault touches M when it acts on a
 * node of M or on a link whose node ends are all in M: peer links "a-b" with a and b in M,
 * client links ("c1-n2", "client-c1-n2", lab 1's "n2") to a node of M, partition cuts between
 * two nodes of M or between a node of M and a client. Added latency (latency plus jitter) of
 * at most maxLatencyMs is no fault, nor is a "stable" marker. A link whose name names no
 * node touches every M.
 *
 * Every set of at least a majority is considered (N is 3 or 5: at most 26 sets); a period is
 * dropped when a strictly larger set is stable over exactly the same stretch, since the larger
 * set's obligations include it.
 */
import type { Fault, NodeId, Trace } from "../trace/events.ts";
import { faultSpans } from "./fault-spans.ts";

export interface StablePeriod {
  members: NodeId[];
  from: number;
  to: number;
}

/** A stretch during which a set is disturbed when it contains all of `nodes` (none: always). */
interface Disturbance {
  from: number;
  to: number;
  nodes: NodeId[];
}

/** Node ends of a link name; [] when it names no node (then it touches everything). */
function linkEnds(link: string, nodes: ReadonlySet<NodeId>): NodeId[] {
  const ends = link.split("-").filter((part) => nodes.has(part));
  return ends.length <= 2 ? ends : [];
}

/** Node ends of each connection the fault harms, or undefined when it harms none. */
function harmedEnds(
  fault: Fault,
  nodes: ReadonlySet<NodeId>,
  maxLatencyMs: number,
): NodeId[][] | undefined {
  switch (fault.kind) {
    case "stable":
      return undefined;
    case "partition":
      return fault.cuts.map((cut) => cut.filter((end) => nodes.has(end)));
    case "crash":
    case "pause":
      return [[fault.node]];
    case "crash-group":
    case "pause-group":
      return fault.nodes.map((node) => [node]);
    case "latency":
      return fault.latencyMs + fault.jitterMs <= maxLatencyMs
        ? undefined
        : [linkEnds(fault.link, nodes)];
    default:
      return [linkEnds(fault.link, nodes)];
  }
}

/** When each node was not running: before its first ready, from a kill/exit/failure to the next ready, paused. */
function downtime(trace: Trace, nodes: readonly NodeId[], endT: number): Disturbance[] {
  const spans: Disturbance[] = [];
  const downSince = new Map<NodeId, number>(nodes.map((n) => [n, 0]));
  const pausedSince = new Map<NodeId, number>();
  for (const e of trace.events) {
    if (e.type === "node.ready") {
      const since = downSince.get(e.node);
      if (since !== undefined) spans.push({ from: since, to: e.t, nodes: [e.node] });
      downSince.delete(e.node);
    } else if (e.type === "node.kill" || e.type === "node.exit" || e.type === "node.failed") {
      if (!downSince.has(e.node)) downSince.set(e.node, e.t);
    } else if (e.type === "node.pause") {
      if (!pausedSince.has(e.node)) pausedSince.set(e.node, e.t);
    } else if (e.type === "node.resume") {
      const since = pausedSince.get(e.node);
      if (since !== undefined) spans.push({ from: since, to: e.t, nodes: [e.node] });
      pausedSince.delete(e.node);
    }
  }
  for (const [node, since] of [...downSince, ...pausedSince])
    spans.push({ from: since, to: endT, nodes: [node] });
  return spans;
}

function disturbances(
  trace: Trace,
  nodes: readonly NodeId[],
  maxLatencyMs: number,
  endT: number,
): Disturbance[] {
  const nodeSet = new Set(nodes);
  const all = downtime(trace, nodes, endT);
  for (const span of faultSpans(trace)) {
    const harmed = harmedEnds(span.fault, nodeSet, maxLatencyMs);
    for (const ends of harmed ?? [])
      all.push({ from: span.from, to: span.to ?? endT, nodes: ends });
  }
  return all;
}

/** Subsets of `nodes` with at least `min` members, largest first. */
function subsets(nodes: readonly NodeId[], min: number): NodeId[][] {
  const sets: NodeId[][] = [];
  for (let mask = 1; mask < 1 << nodes.length; mask++) {
    const set = nodes.filter((_, i) => (mask >> i) & 1);
    if (set.length >= min) sets.push(set);
  }
  return sets.sort((a, b) => b.length - a.length);
}

/** The gaps of at least `minMs` between merged disturbances, within [0, endT]. */
function gaps(spans: Disturbance[], endT: number, minMs: number): [number, number][] {
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  const out: [number, number][] = [];
  let cursor = 0;
  for (const s of sorted) {
    if (s.from - cursor >= minMs) out.push([cursor, s.from]);
    cursor = Math.max(cursor, s.to);
  }
  if (endT - cursor >= minMs) out.push([cursor, endT]);
  return out;
}

export function stablePeriods(
  trace: Trace,
  nodes: readonly NodeId[],
  params: { stableMs: number; maxLatencyMs: number },
  endT: number,
): StablePeriod[] {
  const all = disturbances(trace, nodes, params.maxLatencyMs, endT);
  const majority = Math.floor(nodes.length / 2) + 1;
  const periods: StablePeriod[] = [];
  for (const members of subsets(nodes, majority)) {
    const inM = new Set(members);
    const touching = all.filter((d) => d.nodes.every((n) => inM.has(n)));
    for (const [from, to] of gaps(touching, endT, params.stableMs)) {
      // Larger sets come first: an identical stretch already judged for a superset is implied.
      const dominated = periods.some(
        (p) => p.from === from && p.to === to && members.every((n) => p.members.includes(n)),
      );
      if (!dominated) periods.push({ members, from, to });
    }
  }
  return periods;
}
