/**
 * Lab 3, a replicated at-most-once key-value service, as a dslab plugin: lab 1's program served
 * by every node of a cluster, its checkers (one linearizable history across all nodes), and
 * its run: AUTH_AMO clients spread over the nodes while the nemesis works, then a read of
 * every key once the network has healed.
 */
import { KEY_FILTER } from "../../src/kv/key-filter.ts";
import { kvProgram } from "../../src/kv/kv-program.ts";
import type { DriverContext, Lab } from "../../src/lab/lab.ts";
import { terminationBoundMs } from "../../src/lab/termination-bound.ts";
import { RpcRecorder } from "../../src/workload/traced-connection.ts";
import { kvrCheckers } from "./check/index.ts";
import { memoryProbe } from "./workload/memory-probe.ts";
import { type KvrWorkloadParams, runKvrWorkload } from "./workload/workload.ts";

async function run(ctx: DriverContext): Promise<void> {
  const recorder = new RpcRecorder(ctx.emit, ctx.now);
  const params = {
    ...ctx.definition.workloadDefaults,
    ...ctx.scenario.workload,
  } as unknown as KvrWorkloadParams;
  try {
    const probe = ctx.scenario.probe;
    if (probe !== undefined) {
      if (probe !== "memory") throw new Error(`lab kvr has no probe "${probe}"`);
      await memoryProbe(ctx, recorder);
      return;
    }
    await runKvrWorkload(
      {
        recorder,
        seed: ctx.seed,
        timeScale: ctx.timeScale,
        signal: ctx.signal,
        nodes: ctx.nodes,
        endpoint: ctx.endpoint,
        nemesisDone: ctx.nemesisDone,
        terminationBoundMs: terminationBoundMs(ctx.scenario, ctx.timeScale),
        observe: ctx.observe,
      },
      params,
    );
  } finally {
    recorder.destroyAll();
  }
}

export const kvrLab: Lab = {
  name: "kvr",
  program: kvProgram,
  eventTypes: [],
  checkers: [...kvrCheckers],
  filters: [KEY_FILTER],
  workloadParameters: {
    clients: "concurrent AUTH_AMO clients, each calling every node",
    durationMs: "how long the clients issue new calls (unscaled: the time scale applies)",
    epochMs: "how long a group of keys is used before the clients move to fresh ones",
    retransmitMs: "how long a client waits for a reply before sending the call again",
    sameNodeChance: "the chance that a call is sent again to the same node, not another",
    duplicateChance: "after an ok call, the chance to re-send it at once to another node",
    lateDuplicateChance: "after an ok call, the chance to re-send an older one later",
    thinkMs: "a client's pause between calls (unscaled)",
  },
  run,
  // Pending calls are sent again until answered, up to the termination bound after the heal.
  waitAfterHealMs: terminationBoundMs,
};
