/**
 * Lab 1, an at-most-once key-value server, as a dslab plugin: its program, its checkers, and
 * its run: the randomized workload (then, once the nemesis has healed everything, a read of the
 * final state) or one directed probe.
 */

import { KEY_FILTER } from "../../src/kv/key-filter.ts";
import { kvProgram } from "../../src/kv/kv-program.ts";
import type { DriverContext, Lab } from "../../src/lab/lab.ts";
import { sleep } from "../../src/workload/amo-client.ts";
import { RpcRecorder } from "../../src/workload/traced-connection.ts";
import { rpcCheckers } from "./check/index.ts";
import { RPC_PROBES } from "./workload/probes.ts";
import {
  type RandomWorkloadParams,
  readFinalState,
  runRandomWorkload,
} from "./workload/random-workload.ts";

const NODE = "n1";

function workloadParams(ctx: DriverContext): RandomWorkloadParams {
  const merged = { ...ctx.definition.workloadDefaults, ...ctx.scenario.workload };
  return merged as unknown as RandomWorkloadParams;
}

async function run(ctx: DriverContext): Promise<void> {
  const recorder = new RpcRecorder(ctx.emit, ctx.now);
  const workload = {
    recorder,
    seed: ctx.seed,
    timeScale: ctx.timeScale,
    signal: ctx.signal,
    endpoint: (client: string) => ctx.endpoint(client, NODE),
  };
  try {
    const probeName = ctx.scenario.probe;
    if (probeName !== undefined) {
      const probe = RPC_PROBES[probeName];
      if (!probe) throw new Error(`lab rpc has no probe "${probeName}"`);
      await probe({ ...workload, runtime: ctx.runtime, node: NODE });
      return;
    }
    const params = workloadParams(ctx);
    const keys = await runRandomWorkload(workload, params);
    await ctx.nemesisDone;
    // Let connections cut by the final heal close before the final reads.
    await sleep(200, ctx.signal);
    await readFinalState(workload, keys, params);
  } finally {
    recorder.destroyAll();
  }
}

export const rpcLab: Lab = {
  name: "rpc",
  program: kvProgram,
  eventTypes: [],
  checkers: [...rpcCheckers],
  filters: [KEY_FILTER],
  workloadParameters: {
    clients: "concurrent AUTH_AMO clients",
    durationMs: "how long the clients call (unscaled: the time scale applies)",
    epochMs: "how long a group of keys is used before the clients move to fresh ones",
    retransmitMs: "how long a client waits for a reply before retransmitting",
    giveUpMs: "how long a client tries one call before it counts as indeterminate",
    duplicateChance: "after an ok call, the chance to re-send it at once (a lost reply)",
    lateDuplicateChance: "after an ok call, the chance to re-send it later (a late duplicate)",
    thinkMs: "a client's pause between calls",
    splitEvery: "every this many calls with arguments, write the record in two parts (0: never)",
    splitPauseMs: "the pause between a split record's two parts",
  },
  run,
};
