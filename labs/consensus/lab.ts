/**
 * Lab 2, single-decree consensus per slot, as a dslab plugin: its program, the nodes' decide
 * lines, its checkers, and its run (the consensus workload).
 */

import type { DriverContext, Lab } from "../../src/lab/lab.ts";
import { RpcRecorder } from "../../src/workload/traced-connection.ts";
import { consensusCheckers } from "./check/index.ts";
import { consProgram } from "./protocol/cons-program.ts";
import { terminationBoundMs } from "./workload/termination-bound.ts";
import { type ConsensusWorkloadParams, runConsensusWorkload } from "./workload/workload.ts";

async function run(ctx: DriverContext): Promise<void> {
  const recorder = new RpcRecorder(ctx.emit, ctx.now);
  const params = {
    ...ctx.definition.workloadDefaults,
    ...ctx.scenario.workload,
  } as unknown as ConsensusWorkloadParams;
  try {
    await runConsensusWorkload(
      {
        recorder,
        seed: ctx.seed,
        timeScale: ctx.timeScale,
        signal: ctx.signal,
        nodes: ctx.nodes,
        endpoint: ctx.endpoint,
        observe: ctx.observe,
        nemesisDone: ctx.nemesisDone,
        terminationBoundMs: terminationBoundMs(ctx.scenario, ctx.timeScale),
      },
      params,
    );
  } finally {
    recorder.destroyAll();
  }
}

export const consensusLab: Lab = {
  name: "consensus",
  program: consProgram,
  eventTypes: ["decide"],
  checkers: [...consensusCheckers],
  run,
  // The workload polls until every node decided every slot or the termination bound passed.
  waitAfterHealMs: terminationBoundMs,
};
