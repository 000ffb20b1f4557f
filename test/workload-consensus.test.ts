/**
 * Lab 2's workload against nodes that never answer (a listening socket that reads nothing):
 * what it proposes, as traced by op.invoke, for the same seed under different decision
 * timings. The planned proposals must not depend on when nodes decide, and the values proposed
 * in answer to the n-th decision must not depend on when it came.
 */
import { createServer, type Socket } from "node:net";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsensusWorkloadParams,
  drawValue,
  runConsensusWorkload,
} from "../labs/consensus/workload/workload.ts";
import type { TraceEvent } from "../src/trace/events.ts";
import { RpcRecorder } from "../src/workload/traced-connection.ts";
import { observedTrace } from "./support/observed-trace.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const NODES = ["n1", "n2", "n3"];
const PARAMS: ConsensusWorkloadParams = {
  slots: 9,
  durationMs: 400,
  retransmitMs: 30,
  giveUpMs: 60,
  pollMs: 10,
  reactToDecisions: 2,
};
/** Never drawn by the workload (its small slots are below 1000), so never planned. */
const DECIDED_SLOTS = [5000, 5001];

const sockets = new Set<Socket>();
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.on("error", () => undefined);
});
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  port = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

/** One decision, `atMs` after the workload started, by `node`. */
interface Decision {
  atMs: number;
  node: string;
}

/** Runs the workload with these decisions and returns its proposals: planned and reactive. */
async function proposalsWith(seed: number, decisions: Decision[]) {
  const events = await runWith(
    seed,
    decisions.map(({ atMs, node }, i) => ({
      atMs,
      event: {
        type: "node.event" as const,
        node,
        event: { type: "decide", slot: DECIDED_SLOTS[i], value: "" },
      },
    })),
  );
  const proposals = proposalsIn(events).map(({ node, slot, value }) => ({ node, slot, value }));
  const reactive = proposals.filter((p) => DECIDED_SLOTS.map(String).includes(p.slot));
  const planned = proposals.filter((p) => !reactive.includes(p));
  // Calls run concurrently: compare what was proposed, not the order the calls began in.
  const sorted = (list: typeof proposals) => list.map((p) => JSON.stringify(p)).sort();
  return { planned: sorted(planned), reactive: sorted(reactive) };
}

function proposalsIn(events: TraceEvent[]) {
  return events.flatMap((e) =>
    e.type === "op.invoke" && e.call.proc === "CONS_PROPOSE"
      ? [{ node: e.node, slot: String(e.call.slot), value: String(e.call.value), t: e.t }]
      : [],
  );
}

/** Runs the workload while these events (their t set when emitted) happen; returns the trace. */
async function runWith(
  seed: number,
  script: Array<{ atMs: number; event: DistributiveOmit<TraceEvent, "t"> }>,
  params = PARAMS,
): Promise<TraceEvent[]> {
  const { events, now, emit, observe } = observedTrace();
  const timers = script.map(({ atMs, event }) =>
    setTimeout(() => emit({ ...event, t: now() } as TraceEvent), atMs),
  );
  const recorder = new RpcRecorder(emit, now);
  try {
    await runConsensusWorkload(
      {
        recorder,
        seed,
        timeScale: 1,
        signal: new AbortController().signal,
        nodes: NODES,
        endpoint: (client, node) => ({ link: `${client}-${node}`, host: "127.0.0.1", port }),
        observe,
        nemesisDone: Promise.resolve(),
        terminationBoundMs: 0,
      },
      params,
    );
  } finally {
    for (const timer of timers) clearTimeout(timer);
    recorder.destroyAll();
  }
  return events;
}

describe("the consensus workload's proposals", () => {
  it("are the same for a seed whenever nodes decide, planned and reactive alike", {
    timeout: 20_000,
  }, async () => {
    const early = await proposalsWith(4, [
      { atMs: 5, node: "n1" },
      { atMs: 60, node: "n2" },
    ]);
    const late = await proposalsWith(4, [
      { atMs: 230, node: "n1" },
      { atMs: 370, node: "n2" },
    ]);
    const none = await proposalsWith(4, []);
    // Every slot gets proposals, each to at least one node, plus a second one.
    expect(early.planned.length).toBeGreaterThanOrEqual(2 * PARAMS.slots);
    expect(late.planned).toEqual(early.planned);
    expect(none.planned).toEqual(early.planned);
    // Each decision: another value to each of the two other nodes.
    expect(early.reactive).toHaveLength(4);
    expect(late.reactive).toEqual(early.reactive);
    expect(none.reactive).toEqual([]);
    const other = await proposalsWith(5, []);
    expect(other.planned).not.toEqual(early.planned);
  });

  it("answer each firing of the nemesis: other values to the survivors without an input, the crashed ones once back", {
    timeout: 20_000,
  }, async () => {
    const decided = "";
    const firings = [5000, 5001, 5002, 5003, 5004, 5005];
    const trigger = (slot: number) => ({
      reaction: 0,
      firing: 1,
      event: "decide" as const,
      node: "n1",
      slot,
      t: 0,
    });
    const crash = { kind: "crash-group" as const, nodes: ["n2"], restartAfterMs: 100 };
    const events = await runWith(
      7,
      firings.flatMap((slot, i) => [
        {
          atMs: 10 + i * 40,
          event: {
            type: "node.event" as const,
            node: "n1",
            event: { type: "decide", slot, value: decided },
          },
        },
        // The first firing has no start (as if its crash was skipped): both get one at its end.
        ...(i === 0
          ? []
          : [
              {
                atMs: 11 + i * 40,
                event: {
                  type: "nemesis.start" as const,
                  id: 100 + i,
                  fault: crash,
                  trigger: trigger(slot),
                },
              },
            ]),
        {
          atMs: 30 + i * 40,
          event: {
            type: "nemesis.stop" as const,
            id: 100 + i,
            fault: crash,
            trigger: trigger(slot),
          },
        },
      ]),
      { ...PARAMS, reactToDecisions: 0 },
    );
    const t = (type: string, id: number) =>
      events.find((e) => e.type === type && "id" in e && e.id === id)?.t ?? Number.NaN;
    const reactive = proposalsIn(events).filter((p) => firings.map(String).includes(p.slot));
    for (const [i, slot] of firings.entries()) {
      const forSlot = reactive.filter((p) => p.slot === String(slot));
      const toN3 = forSlot.filter((p) => p.node === "n3");
      const toN2 = forSlot.filter((p) => p.node === "n2");
      // The crashed node gets its input after its restart, never while it is down.
      expect(toN2.length, `slot ${slot}`).toBe(1);
      expect(toN2[0]?.t).toBeGreaterThanOrEqual(t("nemesis.stop", 100 + i));
      // The survivor that stayed up gets one at the crash.
      expect(toN3.length, `slot ${slot}`).toBe(1);
      expect(forSlot.some((p) => p.node === "n1")).toBe(false);
    }
    // Never the decided value: the survivors must be able to decide something else.
    expect(reactive.filter((p) => p.value === decided)).toEqual([]);
  });

  it("plan, for every seed, an early slot for each node alone and values of every shape", {
    timeout: 30_000,
  }, async () => {
    for (const seed of [1, 2, 3]) {
      const proposals = proposalsIn(await runWith(seed, []));
      const slotsInOrder = [...new Set(proposals.map((p) => p.slot))];
      const alone = slotsInOrder
        .slice(1, 1 + NODES.length)
        .map((slot) => [...new Set(proposals.filter((p) => p.slot === slot).map((p) => p.node))]);
      // A partition that cuts any node off early finds it holding a slot no other node has.
      expect(alone.map((nodes) => nodes.length)).toEqual([1, 1, 1]);
      expect(alone.flat().sort()).toEqual(NODES);
    }
    for (const seed of [1, 2, 3, 4, 5]) {
      const rng = xoroshiro128plus(seed);
      const values = Array.from({ length: 40 }, () => Buffer.from(drawValue(rng), "base64"));
      expect(values.some((v) => v.length === 0)).toBe(true);
      expect(values.some((v) => v.length > 1 && v.includes(0))).toBe(true);
    }
  });
});
