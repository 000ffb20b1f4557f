/**
 * Lab 3's workload: lab 1's AUTH_AMO clients, spread over every node of the cluster. Each call
 * goes first to a node drawn from the seed; a call without a reply is sent again with the same
 * xid and credential, usually to another node (a failover), sometimes to the same one; replies
 * are re-sent as lost replies and late duplicates to a node other than the one that answered.
 * Clients share keys two by two and call different nodes, so a read right after a write that
 * another node answered shows a stale read, and CREATE / REMOVE on the same keys show a call
 * executed twice. No call is ever abandoned: after the final heal every pending call is sent
 * again until answered, within the termination bound; then a reader reads every key back through every node.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { KV_BOOT_CALL, kvProgram } from "../../../src/kv/kv-program.ts";
import type { KvCall, KvResult } from "../../../src/kv/kv-types.ts";
import { OperationGenerator } from "../../../src/kv/operation-generator.ts";
import type { TraceEvent } from "../../../src/trace/events.ts";
import { AmoClient, type Router, type SentCall, sleep } from "../../../src/workload/amo-client.ts";
import { clientIds } from "../../../src/workload/client-ids.ts";
import type { Endpoint, RpcRecorder } from "../../../src/workload/traced-connection.ts";
import { AnswerFirings } from "./answer-firings.ts";
import { Pacer } from "./pacer.ts";

export interface KvrWorkloadParams {
  clients: number;
  /** Unscaled: how long the clients issue new calls (while the nemesis works). */
  durationMs: number;
  /** How long a group of keys is used before the clients move to fresh ones (unscaled). */
  epochMs: number;
  /** How long a client waits for a reply before sending the call again (at least 1,000). */
  retransmitMs: number;
  /** The chance that a retransmission goes to the same node as the last transmission. */
  sameNodeChance: number;
  /** After an ok call: the chance to re-send it at once to another node (a lost reply). */
  duplicateChance: number;
  /** After an ok call: the chance to re-send an older one to another node (a late duplicate). */
  lateDuplicateChance: number;
  thinkMs: number;
}

export interface KvrWorkloadContext {
  recorder: RpcRecorder;
  seed: number;
  timeScale: number;
  signal: AbortSignal;
  nodes: string[];
  endpoint: (client: string, node: string) => Endpoint;
  nemesisDone: Promise<void>;
  /** Scaled: how long after the final heal every call sent must be answered. */
  terminationBoundMs: number;
  /** The run's events as they are recorded (the nemesis's answer firings among them). */
  observe: (observer: (event: TraceEvent) => void) => () => void;
}

type KvClient = AmoClient<KvCall, KvResult>;
type Rng = ReturnType<typeof xoroshiro128plus>;

/**
 * New calls and duplicates per second, all clients together: retransmissions (one a second per
 * pending call at most) and the final reads keep the total under the contract's 200.
 */
const CALLS_PER_SECOND = 150;
/** The final reader calls alone, so it may come closer to the contract's 200. */
const READ_BACK_CALLS_PER_SECOND = 190;
/** Keeps the routing stream apart from the generators', which lab 1 seeds the same way. */
const ROUTING_SEED_MIX = 0x3e91;
/** The final reader takes the first id drawn from the seed, the clients the next ones. */
const READER_INDEX = 0;
/** The witness's id is drawn after every client's (at most this many clients). */
const WITNESS_INDEX = 64;
/** How often the witness creates a key of its own (unscaled). */
const WITNESS_EVERY_MS = 250;

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[uniformInt(rng, 0, items.length - 1)] as T;
}

/** A node other than `not`, drawn from the client's stream (the only node when N is 1). */
function otherNode(rng: Rng, nodes: readonly string[], not: string | undefined): string {
  const others = nodes.filter((n) => n !== not);
  return pick(rng, others.length > 0 ? others : nodes);
}

/** What a client of the cluster needs from the run. */
export interface ClusterClientContext {
  recorder: RpcRecorder;
  seed: number;
  nodes: string[];
  endpoint: (client: string, node: string) => Endpoint;
}

/** How a client times and spreads its transmissions. */
export interface ClusterClientTiming {
  retransmitMs: number;
  /** The chance that a call is sent again to the same node rather than another. */
  sameNodeChance: number;
}

/** The routing stream of client number `index`: the seed's stream, jumped index + 1 times. */
function routingStream(seed: number, index: number): Rng {
  const routing = xoroshiro128plus(seed ^ ROUTING_SEED_MIX);
  for (let i = 0; i <= index; i++) routing.jump();
  return routing;
}

/** A router whose next call's first transmission can be sent to a chosen node. */
interface SteerableRouter extends Router {
  sendNextTo(node: string): void;
}

/** First transmissions to a drawn node; retransmissions mostly to another one. */
function spreadingRouter(
  ctx: ClusterClientContext,
  client: string,
  rng: Rng,
  sameNodeChance: number,
): SteerableRouter {
  let steered: string | undefined;
  return {
    sendNextTo: (node) => {
      steered = node;
    },
    nodeFor: (attempt, previous) => {
      if (attempt === 0 && steered !== undefined) {
        const node = steered;
        steered = undefined;
        return node;
      }
      if (attempt === 0 || previous === undefined) return pick(rng, ctx.nodes);
      const same = uniformInt(rng, 0, 999) < sameNodeChance * 1000;
      return same ? previous : otherNode(rng, ctx.nodes, previous);
    },
    endpoint: (node) => ctx.endpoint(client, node),
  };
}

/**
 * Client number `index` of a run ("reader" for 0, c<index> otherwise), AUTH_AMO with an id
 * drawn from the seed, never abandoning a call until `signal` ends its retries.
 */
export function clusterClient(
  ctx: ClusterClientContext,
  index: number,
  timing: ClusterClientTiming,
  signal: AbortSignal,
): { client: KvClient; rng: Rng; router: SteerableRouter } {
  const name =
    index === READER_INDEX ? "reader" : index === WITNESS_INDEX ? "witness" : `c${index}`;
  const rng = routingStream(ctx.seed, index);
  const router = spreadingRouter(ctx, name, rng, timing.sameNodeChance);
  const client = new AmoClient(ctx.recorder, {
    name,
    program: kvProgram,
    boot: KV_BOOT_CALL,
    clientId: clientIds(ctx.seed, index + 1)[index] as bigint,
    endpoint: ctx.endpoint(name, ctx.nodes[0] as string),
    router,
    retransmitMs: timing.retransmitMs,
    giveUpMs: Number.POSITIVE_INFINITY,
    // Acknowledged within 16 calls (the contract's memory rule counts on it).
    ackEvery: 8,
    newConnectionEvery: 3,
    signal,
    sendUnauthenticatedOnce: true,
  });
  return { client, rng, router };
}

/**
 * Ends the clients' retries once the termination bound after the final heal has passed (or
 * the run is interrupted): what is still unanswered then is the termination checker's evidence.
 */
function retryWindow(ctx: KvrWorkloadContext): AbortController {
  const window = new AbortController();
  const stop = () => window.abort();
  ctx.signal.addEventListener("abort", stop, { once: true });
  void ctx.nemesisDone.then(async () => {
    await sleep(ctx.terminationBoundMs, ctx.signal);
    stop();
  });
  return window;
}

export async function runKvrWorkload(
  ctx: KvrWorkloadContext,
  params: KvrWorkloadParams,
): Promise<void> {
  const endAt = ctx.recorder.now() + params.durationMs * ctx.timeScale;
  const epochMs = Math.max(200, params.epochMs * ctx.timeScale);
  const window = retryWindow(ctx);
  const pacer = new Pacer(CALLS_PER_SECOND, ctx.recorder.now);
  const keys = new Set<string>();
  const firings = new AnswerFirings(ctx.observe);
  const indexes = Array.from({ length: params.clients }, (_, i) => i + 1);
  const witnessing = witness(ctx, params, { endAt, pacer, signal: window.signal, keys });
  await Promise.all(
    indexes.map(async (number) => {
      const index = number - 1;
      const { client, rng, router } = clusterClient(ctx, number, params, window.signal);
      /** The client's recent answered calls by xid, for the answer firings. */
      const answered = new Map<number, { call: KvCall; sent: SentCall }>();
      // Partners c1/c2, c3/c4... share keys and call different nodes.
      const generator = new OperationGenerator({
        seed: ctx.seed * 1009 + index,
        client: client.options.name,
        groupSlot: Math.floor(index / 2),
      });
      while (ctx.recorder.now() < endAt && !window.signal.aborted) {
        if (client.cookie === undefined) {
          await client.learnCookie(Number.POSITIVE_INFINITY);
          continue;
        }
        const due = firings.take(client.options.name);
        const firing = due && answered.get(due.xid);
        if (due && firing) {
          const across = () => otherNode(rng, ctx.nodes, due.isolated);
          await askTheOtherSide(client, router, firing, across, () => pacer.take(window.signal));
          continue;
        }
        await pacer.take(window.signal);
        const epoch = Math.floor(ctx.recorder.now() / epochMs);
        const call = generator.next(epoch);
        const result = await client.perform(call);
        const last = client.completed.at(-1);
        if (result.status === "ok" && last) {
          answered.set(last.xid, { call, sent: last });
          if (answered.size > RECENT_ANSWERS)
            answered.delete(answered.keys().next().value as number);
          if (generator.chance() < params.duplicateChance) {
            await pacer.take(window.signal);
            const elsewhere = otherNode(rng, ctx.nodes, result.node);
            await client.resend(last, generator.chance() < 0.5, elsewhere);
          }
          const older = client.completed.at(-1 - Math.floor(generator.chance() * 6));
          if (older && generator.chance() < params.lateDuplicateChance) {
            await pacer.take(window.signal);
            await client.resend(older, generator.chance() < 0.5, pick(rng, ctx.nodes));
          }
        }
        if (params.thinkMs > 0) await sleep(params.thinkMs * ctx.timeScale, window.signal);
      }
      for (const key of generator.keys) keys.add(key);
      client.close();
    }),
  );
  await witnessing;
  firings.stop();
  await ctx.nemesisDone;
  const { client: reader, router } = clusterClient(ctx, READER_INDEX, params, window.signal);
  const readPacer = new Pacer(READ_BACK_CALLS_PER_SECOND, ctx.recorder.now);
  await readBack(reader, keys, {
    nodes: ctx.nodes,
    router,
    pacer: readPacer,
    signal: window.signal,
  });
  reader.close();
  window.abort();
}

/**
 * The witness creates keys nobody else touches, one every WITNESS_EVERY_MS: each one
 * acknowledged before a crash and read back after the heal, with no other call on it, is a
 * write the durability checker can judge whatever the other clients did.
 */
async function witness(
  ctx: KvrWorkloadContext,
  params: KvrWorkloadParams,
  run: { endAt: number; pacer: Pacer; signal: AbortSignal; keys: Set<string> },
): Promise<void> {
  const { client } = clusterClient(ctx, WITNESS_INDEX, params, run.signal);
  for (let n = 1; ctx.recorder.now() < run.endAt && !run.signal.aborted; n++) {
    if (client.cookie === undefined) {
      await client.learnCookie(Number.POSITIVE_INFINITY);
      continue;
    }
    await run.pacer.take(run.signal);
    const key = `/w${n}`;
    run.keys.add(key);
    await client.perform({ proc: "CREATE", key, val: `witness ${n}` });
    await sleep(WITNESS_EVERY_MS * ctx.timeScale, run.signal);
  }
  client.close();
}

/** How many answered calls a client remembers for the answer firings (one comes within a few). */
const RECENT_ANSWERS = 16;

/**
 * Answers a firing that cut off the node which answered `firing`'s write: reads the key back
 * from a node across the cut (`across` draws one), then sends the write again there.
 */
async function askTheOtherSide(
  client: KvClient,
  router: SteerableRouter,
  firing: { call: KvCall; sent: SentCall },
  across: () => string,
  paced: () => Promise<void>,
): Promise<void> {
  if (!("key" in firing.call)) return;
  await paced();
  router.sendNextTo(across());
  await client.perform({ proc: "GET", key: firing.call.key });
  await paced();
  await client.resend(firing.sent, false, across());
}

/**
 * Reads every key touched (and its parents) back after the final heal, through the log like
 * any call (AUTH_AMO): the state every crash must have kept. Each key is read through every
 * node (each one answers from its own copy of the state machine, so a node whose copy went
 * astray shows), its children listed through one.
 */
async function readBack(
  reader: KvClient,
  keys: Set<string>,
  run: { nodes: readonly string[]; router: SteerableRouter; pacer: Pacer; signal: AbortSignal },
): Promise<void> {
  const all = new Set<string>();
  for (const key of keys) {
    const parts = key.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) all.add(`/${parts.slice(0, i).join("/")}`);
  }
  await reader.learnCookie(Number.POSITIVE_INFINITY);
  for (const key of [...all].sort()) {
    for (const node of run.nodes) {
      if (run.signal.aborted) return;
      await run.pacer.take(run.signal);
      run.router.sendNextTo(node);
      await reader.perform({ proc: "GET", key });
    }
    await run.pacer.take(run.signal);
    await reader.perform({ proc: "LIST", key });
  }
}
