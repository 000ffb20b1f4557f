/**
 * Lab 1's randomized workload: concurrent AUTH_AMO clients issuing generated operations while
 * the nemesis works, re-sending completed calls as lost replies and late duplicates would,
 * then one reader that records the final state once the network is healed.
 */

import { KV_BOOT_CALL, kvProgram } from "../../../src/kv/kv-program.ts";
import type { KvCall, KvResult } from "../../../src/kv/kv-types.ts";
import { OperationGenerator } from "../../../src/kv/operation-generator.ts";
import { AmoClient, type AmoClientOptions, sleep } from "../../../src/workload/amo-client.ts";
import { clientIds } from "../../../src/workload/client-ids.ts";
import type { Endpoint, RpcRecorder } from "../../../src/workload/traced-connection.ts";

export interface RandomWorkloadParams {
  clients: number;
  /** Unscaled; the run's time scale applies. */
  durationMs: number;
  /** How long a group of keys is used before clients move to fresh ones. */
  epochMs: number;
  retransmitMs: number;
  giveUpMs: number;
  /** After an ok call: chance to re-send it at once (a lost reply) and a late duplicate. */
  duplicateChance: number;
  lateDuplicateChance: number;
  thinkMs: number;
  /**
   * Every this many calls with arguments, a client writes the record in two parts,
   * splitPauseMs apart (see AmoClientOptions.splitWrites); 0: never.
   */
  splitEvery: number;
  splitPauseMs: number;
}

export interface WorkloadContext {
  recorder: RpcRecorder;
  seed: number;
  timeScale: number;
  signal: AbortSignal;
  /** The endpoint (proxy link) of client `c<i>`, and of the final reader. */
  endpoint: (client: string) => Endpoint;
}

/** A client of lab 1's program. */
export type KvClient = AmoClient<KvCall, KvResult>;

export function makeClient(
  ctx: WorkloadContext,
  name: string,
  clientId: bigint,
  params: Pick<RandomWorkloadParams, "retransmitMs" | "giveUpMs">,
  splitWrites?: AmoClientOptions["splitWrites"],
): KvClient {
  return new AmoClient(ctx.recorder, {
    name,
    program: kvProgram,
    boot: KV_BOOT_CALL,
    clientId,
    endpoint: ctx.endpoint(name),
    retransmitMs: params.retransmitMs,
    giveUpMs: params.giveUpMs * Math.max(1, ctx.timeScale),
    ackEvery: 8,
    newConnectionEvery: 3,
    signal: ctx.signal,
    splitWrites,
  });
}

/** Runs the clients until the (scaled) duration is over; returns every key they touched. */
export async function runRandomWorkload(
  ctx: WorkloadContext,
  params: RandomWorkloadParams,
): Promise<Set<string>> {
  const endAt = ctx.recorder.now() + params.durationMs * ctx.timeScale;
  const epochMs = Math.max(200, params.epochMs * ctx.timeScale);
  const ids = clientIds(ctx.seed, params.clients);
  const keys = new Set<string>();
  const splitWrites =
    params.splitEvery > 0
      ? { every: params.splitEvery, pauseMs: params.splitPauseMs * ctx.timeScale }
      : undefined;
  await Promise.all(
    ids.map(async (clientId, index) => {
      const name = `c${index + 1}`;
      const client = makeClient(ctx, name, clientId, params, splitWrites);
      // Partners c1/c2, c3/c4... share a group of keys, so their operations interleave.
      const generator = new OperationGenerator({
        seed: ctx.seed * 1009 + index,
        client: name,
        groupSlot: Math.floor(index / 2),
      });
      await client.learnCookie(endAt + params.giveUpMs);
      while (ctx.recorder.now() < endAt && !ctx.signal.aborted) {
        if (client.cookie === undefined && !(await client.learnCookie(endAt))) break;
        const epoch = Math.floor(ctx.recorder.now() / epochMs);
        const result = await client.perform(generator.next(epoch));
        if (result.status === "ok") {
          const last = client.completed.at(-1);
          if (last && generator.chance() < params.duplicateChance)
            await client.resend(last, generator.chance() < 0.5);
          const older = client.completed.at(-1 - Math.floor(generator.chance() * 6));
          if (older && generator.chance() < params.lateDuplicateChance)
            await client.resend(older, generator.chance() < 0.5);
        }
        if (params.thinkMs > 0) await sleep(params.thinkMs, ctx.signal);
      }
      for (const key of generator.keys) keys.add(key);
      client.close();
    }),
  );
  return keys;
}

/**
 * Reads the final state after the faults stopped: KV_BOOT, then GET and LIST of every key
 * touched (and its parents), through the reader's own link, without duplicate suppression
 * (reads are safe). The healed network is calm: progress requires answers to all of them, so
 * even a run whose clients touched no key has a call a silent server must answer.
 */
export async function readFinalState(
  ctx: WorkloadContext,
  keys: Iterable<string>,
  params: Pick<RandomWorkloadParams, "retransmitMs" | "giveUpMs">,
): Promise<void> {
  const reader = makeClient(ctx, "reader", 0n, params);
  const all = new Set<string>();
  for (const key of keys) {
    const parts = key.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) all.add(`/${parts.slice(0, i).join("/")}`);
  }
  // A read that got no reply ends the reads: the node is not answering (progress fails on that
  // read), and each further one would only wait giveUpMs (a failed restart cost 130 s so).
  const answered = async (call: KvCall) => (await reader.perform(call, "none")).status !== "info";
  if (await answered({ proc: "BOOT" })) {
    for (const key of [...all].sort()) {
      if (!(await answered({ proc: "GET", key })) || !(await answered({ proc: "LIST", key })))
        break;
    }
  }
  reader.close();
}
