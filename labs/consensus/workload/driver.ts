/** Lab 2 plugged into the common scenario run: the consensus workload and its checkers. */
import { consensusCheckers } from "../check/index.ts";
import { type DriverContext, type LabDriver, scenarioNodes } from "../../../src/lab/run-scenario.ts";
import { RpcRecorder } from "../../../src/workload/traced-connection.ts";
import { terminationBoundMs } from "./termination-bound.ts";
import { type ConsensusWorkloadParams, runConsensusWorkload } from "./workload.ts";

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
        nodes: scenarioNodes(ctx.definition, ctx.scenario),
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

export const consensusDriver: LabDriver = {
  lab: "consensus",
  eventTypes: ["decide"],
  checkers: [...consensusCheckers],
  run,
};
