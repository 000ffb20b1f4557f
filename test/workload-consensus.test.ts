/**
 * Lab 2's workload against nodes that never answer (a listening socket that reads nothing):
 * what it proposes, as traced by op.invoke, for the same seed under different decision
 * timings. The planned proposals must not depend on when nodes decide, and the values proposed
 * in answer to the n-th decision must not depend on when it came.
 */
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsensusWorkloadParams,
  runConsensusWorkload,
} from "../src/workload/consensus/workload.ts";
import { RpcRecorder } from "../src/workload/traced-connection.ts";
import { observedTrace } from "./support/observed-trace.ts";

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
  const { events, now, emit, observe } = observedTrace();
  const timers = decisions.map(({ atMs, node }, i) =>
    setTimeout(() => {
      const slot = DECIDED_SLOTS[i];
      emit({ type: "node.event", t: now(), node, event: { type: "decide", slot, value: "" } });
    }, atMs),
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
      PARAMS,
    );
  } finally {
    for (const timer of timers) clearTimeout(timer);
    recorder.destroyAll();
  }
  const proposals = events.flatMap((e) =>
    e.type === "op.invoke" && e.call.proc === "CONS_PROPOSE"
      ? [{ node: e.node, slot: e.call.slot, value: e.call.value }]
      : [],
  );
  const reactive = proposals.filter((p) => DECIDED_SLOTS.map(String).includes(p.slot));
  const planned = proposals.filter((p) => !reactive.includes(p));
  // Calls run concurrently: compare what was proposed, not the order the calls began in.
  const sorted = (list: typeof proposals) => list.map((p) => JSON.stringify(p)).sort();
  return { planned: sorted(planned), reactive: sorted(reactive) };
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
});
