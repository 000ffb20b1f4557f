/**
 * Lab 2's workload: proposals for many sparse slots (small numbers, numbers above 2^32, numbers
 * near 2^53), with different inputs to different nodes for the same slot (a protocol that does
 * not really agree gets caught), second and different proposals to nodes that already have an
 * input, proposals and CONS_DECIDED queries during faults, other values proposed elsewhere
 * right after a node decides, and when the nemesis answers a decision (cuts the decider off,
 * crashes others), other values for that slot to every other node that has no input for it
 * yet, the crashed ones once they are back; then, after the final heal, CONS_DECIDED to every
 * node for every
 * slot until all answer TRUE or the termination bound has passed. All of it is drawn from the
 * seed: the planned proposals from one stream, the values proposed in answer to decisions from
 * another, so a seed's planned proposals do not depend on when nodes decide.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { NemesisEvent, NemesisSkipEvent, TraceEvent } from "../../../src/trace/events.ts";
import { AmoClient, sleep } from "../../../src/workload/amo-client.ts";
import type { Endpoint, RpcRecorder } from "../../../src/workload/traced-connection.ts";
import { consProgram } from "../protocol/cons-program.ts";
import type { ConsCall, ConsResult } from "../protocol/cons-types.ts";

/** A client of lab 2's program (AUTH_NONE: proposals and queries are idempotent). */
type ConsClient = AmoClient<ConsCall, ConsResult>;

export interface ConsensusWorkloadParams {
  slots: number;
  /** Unscaled: how long proposals go on (while the nemesis works). */
  durationMs: number;
  retransmitMs: number;
  giveUpMs: number;
  pollMs: number;
  /** Slots whose first decision gets other values proposed to the other nodes, right away. */
  reactToDecisions: number;
}

export interface ConsensusWorkloadContext {
  recorder: RpcRecorder;
  seed: number;
  timeScale: number;
  signal: AbortSignal;
  nodes: string[];
  endpoint: (client: string, node: string) => Endpoint;
  observe: (observer: (event: TraceEvent) => void) => () => void;
  nemesisDone: Promise<void>;
  /** Scaled: how long after the heal every node must have decided every slot. */
  terminationBoundMs: number;
}

const CLIENT = "c1";
/** Keeps the workload's streams apart from the nemesis's, which start from the bare seed. */
const WORKLOAD_SEED_MIX = 0xc0115e;
const TWO_32 = 2n ** 32n;
const TWO_53 = 2n ** 53n;

type Rng = ReturnType<typeof xoroshiro128plus>;

/** Distinct slot numbers from three ranges, in a shuffled order. */
export function drawSlots(rng: Rng, count: number): string[] {
  const slots = new Set<string>();
  while (slots.size < count) {
    const kind = slots.size % 3;
    const offset = BigInt(uniformInt(rng, 0, 1_000_000));
    const slot = kind === 0 ? offset % 1000n : kind === 1 ? TWO_32 + offset : TWO_53 - 1n - offset;
    slots.add(slot.toString());
  }
  return [...slots];
}

/**
 * 0 to 24 arbitrary bytes, base64: one value in six empty, one in six with a NUL byte inside
 * (a value handled as a C string comes out cut short), the others any bytes (non-UTF-8 too).
 * Every seed's workload has values of each shape.
 */
export function drawValue(rng: Rng): string {
  const shape = uniformInt(rng, 0, 5);
  if (shape === 0) return "";
  const length = uniformInt(rng, 1, 24);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = uniformInt(rng, 0, 255);
  if (shape === 1) bytes[uniformInt(rng, 0, length - 1)] = 0;
  return bytes.toString("base64");
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[uniformInt(rng, 0, items.length - 1)] as T;
}

export async function runConsensusWorkload(
  ctx: ConsensusWorkloadContext,
  params: ConsensusWorkloadParams,
): Promise<void> {
  const rng = xoroshiro128plus(ctx.seed ^ WORKLOAD_SEED_MIX);
  // The values proposed in answer to decisions come from a stream of their own (the same
  // stream, jumped), so the planned proposals are the same whenever nodes decide.
  const reactiveRng = xoroshiro128plus(ctx.seed ^ WORKLOAD_SEED_MIX);
  reactiveRng.jump();
  const clients = new Map<string, ConsClient>();
  for (const node of ctx.nodes) {
    clients.set(
      node,
      new AmoClient(ctx.recorder, {
        name: CLIENT,
        program: consProgram,
        node,
        clientId: 0n,
        endpoint: ctx.endpoint(CLIENT, node),
        retransmitMs: params.retransmitMs,
        giveUpMs: params.giveUpMs * Math.max(1, ctx.timeScale),
        ackEvery: 1,
        newConnectionEvery: 3,
        signal: ctx.signal,
      }),
    );
  }
  /** Nodes each slot was proposed to (whatever came of it): they may have an input. */
  const proposedTo = new Map<string, Set<string>>();
  const call = (node: string, c: ConsCall) => {
    if (c.proc === "CONS_PROPOSE") {
      const nodes = proposedTo.get(c.slot) ?? new Set<string>();
      proposedTo.set(c.slot, nodes.add(node));
    }
    return clients.get(node)?.perform(c, "none");
  };
  const slots = drawSlots(rng, params.slots);
  const known = new Set<string>(slots);
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown> | undefined) => {
    if (!work) return;
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  /** Each decided slot's first decided value. */
  const decided = new Map<string, unknown>();
  /** A value for the slot other than its decided one. */
  const otherValue = (slot: string) => {
    let value = drawValue(reactiveRng);
    while (value === decided.get(slot)) value = drawValue(reactiveRng);
    return value;
  };
  /** Other values for the slot to those of `nodes` that have no input for it yet. */
  const proposeToInputless = (slot: string, nodes: readonly string[]) => {
    if (ctx.signal.aborted) return;
    for (const node of nodes.filter((n) => !proposedTo.get(slot)?.has(n))) {
      track(call(node, { proc: "CONS_PROPOSE", slot, value: otherValue(slot) }));
    }
  };
  // Right after a slot's first decision (the nemesis may be cutting its decider off): other
  // values to the other nodes. A node catching up on a slot already output opens no window.
  let reactions = 0;
  const onDecision = (node: string, slot: string, value: unknown) => {
    known.add(slot);
    if (decided.has(slot)) return;
    decided.set(slot, value);
    if (reactions >= params.reactToDecisions || ctx.signal.aborted) return;
    reactions++;
    for (const other of ctx.nodes.filter((n) => n !== node)) {
      track(call(other, { proc: "CONS_PROPOSE", slot, value: otherValue(slot) }));
    }
  };
  // A firing of the nemesis (decider cut off, others crashed): the survivors must decide by
  // themselves, so each gets an input of its own, other than the decided value; the crashed
  // ones once they are back, so that the proposal lands on the node that lost its memory.
  const awaitingRestart = new Map<number, { slot: string; nodes: string[] }>();
  const onFiring = (event: NemesisEvent | NemesisSkipEvent) => {
    const slot = event.trigger?.slot;
    if (event.fault.kind !== "crash-group" || !event.trigger || slot === undefined) return;
    const key = String(slot);
    const survivors = ctx.nodes.filter((n) => n !== event.trigger?.node);
    const down = event.fault.nodes;
    if (event.type === "nemesis.start") {
      awaitingRestart.set(event.id, { slot: key, nodes: down });
      proposeToInputless(
        key,
        survivors.filter((n) => !down.includes(n)),
      );
      return;
    }
    const restarted = awaitingRestart.get(event.id);
    awaitingRestart.delete(event.id);
    proposeToInputless(key, restarted ? restarted.nodes : survivors);
  };
  const stopObserving = ctx.observe((event) => {
    if (event.type === "node.event" && event.event.type === "decide") {
      onDecision(event.node, String(event.event.slot), event.event.value);
    } else if (
      event.type === "nemesis.start" ||
      event.type === "nemesis.stop" ||
      event.type === "nemesis.skip"
    ) {
      onFiring(event);
    }
  });

  const durationMs = params.durationMs * ctx.timeScale;
  const started = ctx.recorder.now();
  for (const [index, slot] of slots.entries()) {
    if (ctx.signal.aborted) break;
    const due = started + (index * durationMs) / slots.length;
    await sleep(Math.max(0, due - ctx.recorder.now()), ctx.signal);
    // Different inputs to different nodes for the same slot, at the same moment. Early on, a
    // slot for each node alone: a node a partition cuts off then holds a slot that only it can
    // get decided, and must keep trying until the network lets it.
    const alone = index >= 1 && index <= ctx.nodes.length;
    const targets = alone
      ? [ctx.nodes[index % ctx.nodes.length] as string]
      : ctx.nodes.filter(() => uniformInt(rng, 0, 2) > 0);
    if (targets.length === 0) targets.push(pick(rng, ctx.nodes));
    for (const node of targets) {
      track(call(node, { proc: "CONS_PROPOSE", slot, value: drawValue(rng) }));
    }
    // A second, different proposal to a node that already has an input, a little later.
    const again = pick(rng, targets);
    const secondValue = drawValue(rng);
    track(
      sleep(params.retransmitMs, ctx.signal).then(() =>
        call(again, { proc: "CONS_PROPOSE", slot, value: secondValue }),
      ),
    );
    // A query during the faults, to a random node.
    track(call(pick(rng, ctx.nodes), { proc: "CONS_DECIDED", slot }));
  }
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  await ctx.nemesisDone;
  stopObserving();
  // Proposals made in answer to the nemesis's last firings.
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  await awaitTermination(ctx, params, clients, known);
  for (const client of clients.values()) client.close();
}

/** CONS_DECIDED to every node for every slot until all say TRUE or the bound has passed. */
async function awaitTermination(
  ctx: ConsensusWorkloadContext,
  params: ConsensusWorkloadParams,
  clients: Map<string, ConsClient>,
  slots: Set<string>,
): Promise<void> {
  const deadline = ctx.recorder.now() + ctx.terminationBoundMs;
  await Promise.all(
    ctx.nodes.map(async (node) => {
      const client = clients.get(node);
      if (!client) return;
      const pending = new Set(slots);
      while (pending.size > 0 && ctx.recorder.now() < deadline && !ctx.signal.aborted) {
        for (const slot of [...pending]) {
          const result = await client.perform({ proc: "CONS_DECIDED", slot }, "none");
          const outcome = result.outcome;
          if (
            outcome?.kind === "success" &&
            outcome.result.proc === "CONS_DECIDED" &&
            outcome.result.decided
          )
            pending.delete(slot);
        }
        if (pending.size > 0) await sleep(params.pollMs, ctx.signal);
      }
    }),
  );
}
