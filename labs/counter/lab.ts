/**
 * The example lab, "counter", as a dslab plugin (the template docs/how-to-write-a-lab.md walks
 * through): one server holds a counter; clients add to it and read it concurrently, each call
 * sent once (AUTH_NONE, no retransmission: a lost call is simply unanswered), then one final
 * read after the network healed. Its one checker asks for linearizability.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { DriverContext, Lab } from "../../src/lab/lab.ts";
import { AmoClient, sleep } from "../../src/workload/amo-client.ts";
import { RpcRecorder } from "../../src/workload/traced-connection.ts";
import { counterCheckers } from "./check.ts";
import { type CounterCall, type CounterResult, counterProgram } from "./protocol.ts";

const NODE = "n1";

/** lab.json's "workloadDefaults", overridden per scenario. */
interface CounterWorkloadParams {
  clients: number;
  /** Unscaled; the run's time scale applies. */
  durationMs: number;
  /** How long a call waits for its reply before it counts as unanswered. */
  giveUpMs: number;
  thinkMs: number;
  /** Share of READs among the calls (the rest are ADDs of 1 to 5). */
  readChance: number;
}

function client(
  ctx: DriverContext,
  recorder: RpcRecorder,
  name: string,
  params: CounterWorkloadParams,
) {
  const giveUpMs = params.giveUpMs * Math.max(1, ctx.timeScale);
  return new AmoClient<CounterCall, CounterResult>(recorder, {
    name,
    program: counterProgram,
    clientId: 0n, // AUTH_NONE carries no client id
    endpoint: ctx.endpoint(name, NODE),
    // One transmission per call: waiting as long as giving up means never retransmitting.
    retransmitMs: giveUpMs,
    giveUpMs,
    ackEvery: 1,
    newConnectionEvery: 1,
    signal: ctx.signal,
  });
}

async function runClient(
  ctx: DriverContext,
  counter: AmoClient<CounterCall, CounterResult>,
  index: number,
  params: CounterWorkloadParams,
  endAt: number,
  now: () => number,
): Promise<void> {
  const rng = xoroshiro128plus(ctx.seed * 31 + index);
  while (now() < endAt && !ctx.signal.aborted) {
    const read = uniformInt(rng, 0, 999) < params.readChance * 1000;
    const call: CounterCall = read
      ? { proc: "READ" }
      : { proc: "ADD", delta: uniformInt(rng, 1, 5) };
    await counter.perform(call, "none");
    await sleep(params.thinkMs * ctx.timeScale, ctx.signal);
  }
}

async function run(ctx: DriverContext): Promise<void> {
  const params = {
    ...ctx.definition.workloadDefaults,
    ...ctx.scenario.workload,
  } as unknown as CounterWorkloadParams;
  const recorder = new RpcRecorder(ctx.emit, ctx.now);
  const names = Array.from({ length: params.clients }, (_, i) => `c${i + 1}`);
  const clients = names.map((name) => client(ctx, recorder, name, params));
  try {
    const endAt = ctx.now() + params.durationMs * ctx.timeScale;
    await Promise.all(clients.map((c, i) => runClient(ctx, c, i, params, endAt, ctx.now)));
    await ctx.nemesisDone;
    const reader = client(ctx, recorder, "reader", params);
    clients.push(reader);
    await reader.perform({ proc: "READ" }, "none");
  } finally {
    for (const c of clients) c.close();
    recorder.destroyAll();
  }
}

export const counterLab: Lab = {
  name: "counter",
  program: counterProgram,
  eventTypes: [],
  checkers: counterCheckers,
  workloadParameters: {
    clients: "concurrent clients",
    durationMs: "how long the clients call (unscaled: the time scale applies)",
    giveUpMs: "how long a call waits for its reply before it counts as unanswered",
    thinkMs: "a client's pause between calls",
    readChance: "the share of READs among the calls (the rest are ADDs of 1 to 5)",
  },
  run,
};
