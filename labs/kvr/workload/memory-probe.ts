/**
 * Lab 3's memory probe (contract rule 15, lab 1's probe on every node): 64 KiB replies,
 * every client acknowledging within 16 calls, spread over all nodes; each node's resident
 * memory is sampled after a warm-up and at the end. Fewer calls than lab 1's 10,000 (every
 * call goes through the log at the contract's 200 calls/s), but their replies alone, cached
 * and never pruned, would take every node past the 64 MiB bound twice over.
 */
import type { DriverContext } from "../../../src/lab/lab.ts";
import type { RpcRecorder } from "../../../src/workload/traced-connection.ts";
import { Pacer } from "./pacer.ts";
import { clusterClient } from "./workload.ts";

const CLIENTS = 4;
const WARM_UP_PER_CLIENT = 50;
/** 1,600 replies of 64 KiB: 100 MiB a node that never prunes its replay cache keeps. */
const CALLS_PER_CLIENT = 400;
const CALLS_PER_SECOND = 190;
const VALUE = "m".repeat(64 * 1024);
const TIMING = { retransmitMs: 1000, sameNodeChance: 0.25 };

function note(recorder: RpcRecorder, step: string, detail: Record<string, unknown>): void {
  recorder.emit({ type: "probe", t: recorder.now(), probe: "memory", step, detail });
}

export async function memoryProbe(ctx: DriverContext, recorder: RpcRecorder): Promise<void> {
  const pacer = new Pacer(CALLS_PER_SECOND, recorder.now);
  const clients = Array.from(
    { length: CLIENTS },
    (_, index) => clusterClient({ ...ctx, recorder }, index + 1, TIMING, ctx.signal).client,
  );
  const calls = (client: (typeof clients)[number], count: number) => async () => {
    for (let i = 0; i < count && !ctx.signal.aborted; i++) {
      await pacer.take(ctx.signal);
      await client.perform({ proc: "GET", key: "/mem" });
    }
  };
  try {
    await Promise.all(clients.map((c) => c.learnCookie(Number.POSITIVE_INFINITY)));
    await clients[0]?.perform({ proc: "CREATE", key: "/mem", val: VALUE });
    await Promise.all(clients.map((c) => calls(c, WARM_UP_PER_CLIENT)()));
    const perClient = Math.round(CALLS_PER_CLIENT * Math.min(1, Math.max(0.2, ctx.timeScale)));
    for (const node of ctx.nodes) {
      await ctx.runtime.sampleMemory(node);
      note(recorder, "baseline", { node, calls: perClient * CLIENTS });
    }
    await Promise.all(clients.map((c) => calls(c, perClient)()));
    for (const node of ctx.nodes) {
      await ctx.runtime.sampleMemory(node);
      note(recorder, "end", { node });
    }
  } finally {
    for (const client of clients) client.close();
  }
}
