/**
 * Lab 2, single-decree consensus per slot, as a dslab plugin: its program, the nodes' decide
 * lines, its checkers, and its run (the consensus workload).
 */

import type { CallFilter, DriverContext, Lab } from "../../src/lab/lab.ts";
import { terminationBoundMs } from "../../src/lab/termination-bound.ts";
import { quote } from "../../src/rpc/describe-reply.ts";
import { RpcRecorder } from "../../src/workload/traced-connection.ts";
import { consensusCheckers } from "./check/index.ts";
import { consProgram } from "./protocol/cons-program.ts";
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

/** --slot: the calls for one slot and the nodes' decide lines for it. */
const SLOT_FILTER: CallFilter = {
  option: "slot",
  help: "only CONS_* calls for this slot and its decide events",
  matchesCall: (call, slot) => call.slot === slot,
  matchesNodeEvent: (event, slot) => event.slot !== undefined && String(event.slot) === slot,
};

/** A decide line as a short phrase, whatever fields the node printed. */
function describeDecision(event: Readonly<Record<string, unknown>>): string {
  const slot = event.slot === undefined ? "" : ` slot ${String(event.slot)}`;
  const value = event.value === undefined ? "" : ` ${quote(String(event.value))}`;
  const { type: _type, ...rest } = event;
  return slot || value ? `decide${slot}${value}` : `decide ${JSON.stringify(rest)}`;
}

export const consensusLab: Lab = {
  name: "consensus",
  program: consProgram,
  eventTypes: ["decide"],
  describeNodeEvent: describeDecision,
  checkers: [...consensusCheckers],
  filters: [SLOT_FILTER],
  workloadParameters: {
    slots: "how many slots get proposals",
    durationMs: "how long proposals go on, while the nemesis works (unscaled)",
    retransmitMs: "how long the client waits for a reply before retransmitting",
    giveUpMs: "how long the client tries one call before it counts as indeterminate",
    pollMs: "how often the client asks every node CONS_DECIDED after the proposals",
    reactToDecisions:
      "slots whose first decision gets other values proposed to the other nodes at once",
  },
  run,
  // The workload polls until every node decided every slot or the termination bound passed.
  waitAfterHealMs: terminationBoundMs,
};
