/**
 * Executes a fault schedule against the fault network and the node runtime. Every start and
 * end is a timer set from the run's start (not sleeps chained one after another, so lateness
 * never accumulates); faults overlap as scheduled. Reactions (lab 2) add faults when the
 * run's events call for them. Whatever happens (completion, abort, an error), it ends with a
 * final heal: no toxics, every proxy enabled, paused nodes resumed, crashed nodes restarted.
 */

import { describeFault } from "../net/describe-fault.ts";
import { isLinkFault, type LinkFaultTarget } from "../net/fault-network.ts";
import type { NodeRuntime } from "../runtime/types.ts";
import type {
  Fault,
  NemesisTrigger,
  NodeId,
  NodeOutputEvent,
  ScheduledFault,
  TraceEvent,
} from "../trace/events.ts";
import { partitionBlackholes } from "./partition.ts";
import {
  canReact,
  drawReaction,
  longestFiringMs,
  type ReactionSpec,
  reactionRng,
} from "./reactions.ts";
import { activeMs } from "./schedule.ts";

export interface NemesisRunOptions {
  network: LinkFaultTarget;
  runtime: NodeRuntime;
  emit: (event: TraceEvent) => void;
  now: () => number;
  /** Stops the schedule early; the final heal still runs. */
  signal?: AbortSignal;
  /** Run time (now()'s clock) where the schedule's 0 lies; default now() at the call. */
  startAtMs?: number;
  /** Reactive faults (reactionsOf); the run then lasts until their window ends. */
  reactions?: readonly ReactionSpec[];
  /** Subscribes to the run's trace events, returns the unsubscribe; needed by reactions. */
  observe?: (listener: (event: TraceEvent) => void) => () => void;
}

export interface NemesisOutcome {
  status: "completed" | "aborted";
  /** Node faults not injected because none of their nodes was up when they were due. */
  skipped: number[];
  /** Nodes that did not come back after a crash (their node.failed says why). */
  nodeFailures: string[];
}

/** A fault in force, with how to end it. */
interface ActiveFault {
  scheduled: ScheduledFault;
  end: () => Promise<void>;
  /** What the final heal must do besides healing every link (node faults). */
  heal?: () => Promise<void>;
}

/** A reaction with its generator and how often it fired. */
interface Reactor {
  spec: ReactionSpec;
  rng: ReturnType<typeof reactionRng>;
  fired: number;
}

export async function runSchedule(
  schedule: readonly ScheduledFault[],
  options: NemesisRunOptions,
): Promise<NemesisOutcome> {
  const { network, runtime, emit, now, signal } = options;
  const startAt = options.startAtMs ?? now();
  const reactors: Reactor[] = (options.reactions ?? []).map((spec) => ({
    spec,
    rng: reactionRng(spec),
    fired: 0,
  }));
  if (reactors.length > 0 && !options.observe) {
    throw new Error("nemesis: reactions need options.observe to see the run's events");
  }
  const active = new Map<number, ActiveFault>();
  const begun = new Map<number, Promise<void>>();
  const triggers = new Map<number, NemesisTrigger>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const outcome: NemesisOutcome = { status: "completed", skipped: [], nodeFailures: [] };
  let failure: Error | undefined;
  /** Ends still to come, plus one while reactions may fire. */
  let pending = schedule.length + (reactors.length > 0 ? 1 : 0);
  let reacting = reactors.length > 0;
  let reactiveInForce = 0;
  let nextId = Math.max(0, ...schedule.map((s) => s.id)) + 1;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const settle = () => {
    pending -= 1;
    if (pending === 0) finish();
  };

  const stopScheduling = () => {
    reacting = false;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    finish();
  };
  const nemesisEvent = (type: "nemesis.start" | "nemesis.stop", s: ScheduledFault) => {
    const trigger = triggers.get(s.id);
    emit({ type, t: now(), id: s.id, fault: s.fault, ...(trigger ? { trigger } : {}) });
  };

  const restart = async (node: string) => {
    const result = await runtime.restart(node);
    if (!result.ok) outcome.nodeFailures.push(`${node}: ${result.reason}`);
  };
  const each = async (nodes: NodeId[], step: (node: NodeId) => Promise<unknown>) => {
    await Promise.all(nodes.map(step));
  };

  const begin = async (s: ScheduledFault): Promise<void> => {
    const fault = s.fault;
    if (fault.kind === "stable") {
      // Faults due to end before it finish ending first, so the period starts calm.
      await Promise.allSettled([...inFlight]);
      nemesisEvent("nemesis.start", s);
      active.set(s.id, { scheduled: s, end: async () => undefined });
      return;
    }
    if (isLinkFault(fault)) {
      nemesisEvent("nemesis.start", s);
      const applied = await network.apply(fault);
      active.set(s.id, { scheduled: s, end: () => network.remove(applied) });
      return;
    }
    if (fault.kind === "partition") {
      const blackholes = partitionBlackholes(fault.cuts, network.links());
      nemesisEvent("nemesis.start", s);
      const applied = await Promise.all(blackholes.map((f) => network.apply(f)));
      const removeAll = async () => {
        await Promise.all(applied.map((a) => network.remove(a)));
      };
      active.set(s.id, { scheduled: s, end: removeAll });
      return;
    }
    const up = nodesOf(fault).filter((node) => runtime.isUp(node));
    if (up.length === 0) {
      outcome.skipped.push(s.id);
      return;
    }
    nemesisEvent("nemesis.start", s);
    if (fault.kind === "crash" || fault.kind === "crash-group") {
      await each(up, (node) => runtime.kill(node));
      const heal = () =>
        each(
          up.filter((node) => !runtime.isUp(node)),
          restart,
        );
      active.set(s.id, { scheduled: s, end: () => each(up, restart), heal });
    } else {
      await each(up, (node) => runtime.pause(node));
      const resume = () => each(up, (node) => runtime.resume(node));
      active.set(s.id, { scheduled: s, end: resume, heal: resume });
    }
  };

  const end = async (s: ScheduledFault): Promise<void> => {
    await begun.get(s.id);
    const current = active.get(s.id);
    if (!current) return;
    await current.end();
    // Only once it has ended: if ending fails, the final heal ends it and says so.
    active.delete(s.id);
    nemesisEvent("nemesis.stop", s);
  };

  /** Runs a step now; a failing step stops the schedule. */
  const run = (what: string, step: () => Promise<void>) => {
    const running = step().catch((error: unknown) => {
      failure ??= new Error(`nemesis: could not ${what}: ${(error as Error).message}`, {
        cause: error,
      });
      stopScheduling();
    });
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
  };
  const after = (delayMs: number, what: string, step: () => Promise<void>) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        run(what, step);
      },
      Math.max(0, delayMs),
    );
    timers.add(timer);
  };
  /** Starts a fault after delayMs and ends it activeMs later; `onEnd` runs once it ended. */
  const plan = (s: ScheduledFault, delayMs: number, onEnd: () => void) => {
    after(delayMs, `start fault ${s.id} (${describeFault(s.fault)})`, () => {
      const started = begin(s);
      begun.set(
        s.id,
        started.catch(() => undefined),
      );
      return started;
    });
    after(delayMs + activeMs(s), `end fault ${s.id} (${describeFault(s.fault)})`, async () => {
      try {
        await end(s);
      } finally {
        onEnd();
      }
    });
  };

  const base = now(); // one reference for every timer, so equal times fire in schedule order
  for (const s of schedule) plan(s, startAt + s.atMs - base, settle);
  if (reactors.length > 0) {
    const untilMs = Math.max(...reactors.map((r) => r.spec.untilMs));
    after(startAt + untilMs - base, "close the reactions' window", async () => {
      if (!reacting) return;
      reacting = false;
      settle();
    });
  }

  /** Fires the first reaction that may answer this decision (one firing in force at a time). */
  const react = (event: TraceEvent) => {
    if (!reacting || reactiveInForce > 0 || !isDecision(event)) return;
    const atMs = Math.round(now() - startAt);
    const reactor = reactors.find(
      (r) =>
        r.fired < r.spec.reaction.times &&
        canReact(atMs, longestFiringMs(r.spec), schedule, r.spec.untilMs),
    );
    if (!reactor) return;
    reactor.fired += 1;
    const slot = event.event.slot;
    const trigger: NemesisTrigger = {
      reaction: reactor.spec.index,
      firing: reactor.fired,
      event: "decide",
      node: event.node,
      ...(typeof slot === "number" ? { slot } : {}),
      t: event.t,
    };
    for (const { fault, durationMs } of drawReaction(reactor.rng, reactor.spec, event.node)) {
      const s: ScheduledFault = { id: nextId, atMs, durationMs, fault };
      nextId += 1;
      triggers.set(s.id, trigger);
      pending += 1;
      reactiveInForce += 1;
      // From a timer, not inside the emit that delivered the decision.
      plan(s, 0, () => {
        reactiveInForce -= 1;
        settle();
      });
    }
  };
  const unsubscribe = reactors.length > 0 ? options.observe?.(react) : undefined;
  if (pending === 0) finish();

  const onAbort = () => {
    outcome.status = "aborted";
    stopScheduling();
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await finished;
    reacting = false;
    // Let steps already running settle, so nothing is applied after the heal.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  } finally {
    unsubscribe?.();
    signal?.removeEventListener("abort", onAbort);
  }
  let healError: Error | undefined;
  try {
    await finalHeal(network, [...active.values()], nemesisEvent);
    // Lab 2's termination is judged from here on.
    emit({ type: "nemesis.heal", t: now() });
  } catch (error) {
    healError = new Error(`nemesis: the final heal failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (failure && healError) {
    throw new Error(`${failure.message}; then ${healError.message}`, { cause: failure });
  }
  if (failure ?? healError) throw failure ?? healError;
  return outcome;
}

function isDecision(event: TraceEvent): event is NodeOutputEvent {
  return event.type === "node.event" && event.event.type === "decide";
}

function nodesOf(fault: Fault): NodeId[] {
  if (fault.kind === "crash" || fault.kind === "pause") return [fault.node];
  if (fault.kind === "crash-group" || fault.kind === "pause-group") return fault.nodes;
  return [];
}

async function finalHeal(
  network: LinkFaultTarget,
  stillActive: ActiveFault[],
  nemesisEvent: (type: "nemesis.stop", s: ScheduledFault) => void,
): Promise<void> {
  await network.healAll();
  await Promise.all(stillActive.map((a) => a.heal?.()));
  for (const a of stillActive) nemesisEvent("nemesis.stop", a.scheduled);
}
