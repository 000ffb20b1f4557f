/**
 * Executes a fault schedule against the fault network and the node runtime. Every start and
 * end is a timer set from the run's start (not sleeps chained one after another, so lateness
 * never accumulates); faults overlap as scheduled. Reactions (lab 2) add faults when the
 * run's events call for them. Whatever happens (completion, abort, an error), it ends with a
 * final heal: no toxics, every proxy enabled, paused nodes resumed, crashed nodes restarted.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { describeFault } from "../net/describe-fault.ts";
import { isLinkFault, type LinkFaultTarget } from "../net/fault-network.ts";
import type { NodeRuntime } from "../runtime/types.ts";
import type {
  Fault,
  NemesisEnded,
  NemesisEndsWhen,
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
  type ReactionSpec,
  reactionRng,
  shortestFiringMs,
} from "./reactions.ts";
import { activeMs } from "./schedule.ts";

/**
 * How long after a reaction's kills its isolation's toxics wait: Toxiproxy closes the dead
 * nodes' connections in that time, and a connection closing while a toxic is added deadlocks
 * the proxy (see fault-network.ts).
 */
const CLOSED_CONNECTIONS_GRACE_MS = 25;

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

/** A node the nemesis crashed and has not brought back yet, for a skipped fault's reason. */
interface CrashedNode {
  /** The crash fault's id. */
  by: number;
  state: "down" | "restarting" | "failed";
  /** Why its restart failed. */
  failure?: string;
}

/** A reaction with its generator and how often it fired. */
interface Reactor {
  spec: ReactionSpec;
  rng: ReturnType<typeof reactionRng>;
  fired: number;
}

/** The firing in force: whose decision of which slot its isolation still waits for. */
interface Hold {
  slot: string;
  undecided: Set<NodeId>;
  /** Its crash has ended (its nodes are ready again, or failed to start). */
  crashEnded: boolean;
  /** Ends the isolation, once, with its reason. */
  end: (ended: NemesisEnded) => void;
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
  /** Reactive isolations: what ends them, and then what did. */
  const endsWhen = new Map<number, NemesisEndsWhen>();
  const ended = new Map<number, NemesisEnded>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const outcome: NemesisOutcome = { status: "completed", skipped: [], nodeFailures: [] };
  const crashed = new Map<NodeId, CrashedNode>();
  let failure: Error | undefined;
  /** Ends still to come, plus one while reactions may fire. */
  let pending = schedule.length + (reactors.length > 0 ? 1 : 0);
  let reacting = reactors.length > 0;
  let stopped = false;
  /** The firing in force (one at a time). */
  let hold: Hold | undefined;
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
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    finish();
  };
  const nemesisEvent = (type: "nemesis.start" | "nemesis.stop", s: ScheduledFault) => {
    const trigger = triggers.get(s.id);
    const until = endsWhen.get(s.id);
    const reason = type === "nemesis.stop" ? ended.get(s.id) : undefined;
    emit({
      type,
      t: now(),
      id: s.id,
      fault: s.fault,
      ...(trigger ? { trigger } : {}),
      ...(until ? { endsWhen: until } : {}),
      ...(reason ? { ended: reason } : {}),
    });
  };

  const restart = async (node: string) => {
    const crash = crashed.get(node);
    if (crash) crash.state = "restarting";
    const result = await runtime.restart(node);
    if (result.ok) {
      crashed.delete(node);
      return;
    }
    outcome.nodeFailures.push(`${node}: ${result.reason}`);
    if (crash) crashed.set(node, { ...crash, state: "failed", failure: result.reason });
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
    const nodes = nodesOf(fault);
    const up = nodes.filter((node) => runtime.isUp(node));
    if (up.length === 0) {
      outcome.skipped.push(s.id);
      const trigger = triggers.get(s.id);
      emit({
        type: "nemesis.skip",
        t: now(),
        id: s.id,
        fault,
        ...(trigger ? { trigger } : {}),
        reason: nodes.map((node) => whyNotUp(node, crashed.get(node))).join("; "),
      });
      return;
    }
    nemesisEvent("nemesis.start", s);
    if (fault.kind === "crash" || fault.kind === "crash-group") {
      for (const node of up) crashed.set(node, { by: s.id, state: "down" });
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
    // Once stopped, the final heal ends what is in force: nothing new is set off.
    if (stopped) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        run(what, step);
      },
      Math.max(0, delayMs),
    );
    timers.add(timer);
  };
  /** Starts a fault after delayMs, and after fault `behind` (if any) has begun and graceMs more. */
  const startAfter = (s: ScheduledFault, delayMs: number, behind?: number, graceMs = 0) => {
    after(delayMs, `start fault ${s.id} (${describeFault(s.fault)})`, () => {
      const first = behind === undefined ? undefined : begun.get(behind);
      const started = first
        ? first.then(() => (graceMs > 0 ? sleep(graceMs) : undefined)).then(() => begin(s))
        : begin(s);
      begun.set(
        s.id,
        started.catch(() => undefined),
      );
      return started;
    });
  };
  /**
   * Ends a fault after delayMs (once it has begun, and fault `behind` too, if any); `onEnd`
   * runs once it ended.
   */
  const endAfter = (s: ScheduledFault, delayMs: number, onEnd: () => void, behind?: number) => {
    after(delayMs, `end fault ${s.id} (${describeFault(s.fault)})`, async () => {
      try {
        if (behind !== undefined) await begun.get(behind);
        await end(s);
      } finally {
        onEnd();
      }
    });
  };
  /** Starts a fault after delayMs and ends it activeMs later; `onEnd` runs once it ended. */
  const plan = (s: ScheduledFault, delayMs: number, onEnd: () => void, behind?: number) => {
    startAfter(s, delayMs, behind);
    endAfter(s, delayMs + activeMs(s), onEnd);
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

  /** Slots some node has output a decision for. */
  const decided = new Set<string>();
  /** The firing in force waits for this decision: the survivors decided by themselves. */
  const awaitDecision = (event: NodeOutputEvent) => {
    if (!hold || String(event.event.slot) !== hold.slot) return;
    hold.undecided.delete(event.node);
    if (hold.crashEnded && hold.undecided.size === 0) hold.end({ by: "decided" });
  };
  /**
   * Fires a reaction that may answer this decision (one firing in force at a time).
   * Only a slot's first decision opens the window a reaction is for (a value chosen, not yet
   * known everywhere); a node catching up or re-printing what it recovered does not.
   */
  const react = (event: TraceEvent) => {
    if (!isDecision(event)) return;
    awaitDecision(event);
    const slot = event.event.slot;
    const first = !decided.has(String(slot));
    decided.add(String(slot));
    if (!reacting || hold || !first) return;
    const atMs = Math.round(now() - startAt);
    // The reactions take turns (the one that fired least, then plan order), so how many
    // firings each gets does not hang on how many fit in the window at the runtime's speed.
    const reactor = reactors
      .filter(
        (r) =>
          r.fired < r.spec.reaction.times &&
          canReact(atMs, shortestFiringMs(r.spec), schedule, r.spec.untilMs),
      )
      .reduce<Reactor | undefined>(
        (best, r) => (best && best.fired <= r.fired ? best : r),
        undefined,
      );
    if (!reactor) return;
    reactor.fired += 1;
    const trigger: NemesisTrigger = {
      reaction: reactor.spec.index,
      firing: reactor.fired,
      event: "decide",
      node: event.node,
      ...(typeof slot === "number" ? { slot } : {}),
      t: event.t,
    };
    const firing = drawReaction(reactor.rng, reactor.spec, event.node);
    const crash: ScheduledFault = {
      id: nextId + 1,
      atMs,
      durationMs: firing.crash.restartAfterMs,
      fault: firing.crash,
    };
    // Its length is not known in advance: it ends when the survivors have decided.
    const isolation: ScheduledFault = {
      id: nextId,
      atMs,
      durationMs: firing.crash.restartAfterMs,
      fault: firing.isolation,
    };
    nextId += 2;
    for (const s of [isolation, crash]) triggers.set(s.id, trigger);
    endsWhen.set(isolation.id, {
      after: crash.id,
      decidedBy: firing.awaited,
      maxHoldMs: firing.maxHoldMs,
    });
    pending += 2;
    let ending = false;
    const current: Hold = {
      slot: String(slot),
      undecided: new Set(firing.awaited),
      crashEnded: false,
      end: (reason) => {
        if (ending) return;
        ending = true;
        ended.set(isolation.id, reason);
        run(`end fault ${isolation.id} (${describeFault(isolation.fault)})`, async () => {
          try {
            await end(isolation);
          } finally {
            hold = undefined;
            settle();
          }
        });
      },
    };
    hold = current;
    const crashEnded = () => {
      settle();
      current.crashEnded = true;
      // Its nodes are ready again (or failed to start, as traced): the decider stays cut
      // off until the others have all decided, however slow they are, up to maxHoldMs.
      if (firing.crash.nodes.some((node) => crashed.get(node)?.state === "failed")) {
        current.end({ by: "restart-failed" });
      } else if (current.undecided.size === 0) {
        current.end({ by: "decided" });
      } else {
        after(firing.maxHoldMs, `end fault ${isolation.id} at its longest hold`, async () =>
          current.end({ by: "max-hold", undecided: [...current.undecided] }),
        );
      }
    };
    // From timers, not inside the emit that delivered the decision. Toxics are never added
    // while the crash closes connections on the same links: that deadlocks Toxiproxy's
    // proxies (see fault-network.ts).
    if (firing.crash.nodes.length === firing.awaited.length) {
      // Crashing every other node cuts the decider off by itself, and at once: the kills go
      // first, so a node that would have learned the decision in the milliseconds the
      // toxics take is already down; the isolation follows once their connections have
      // closed, and nobody is back before it is in force.
      startAfter(crash, 0);
      startAfter(isolation, 0, crash.id, CLOSED_CONNECTIONS_GRACE_MS);
      endAfter(crash, firing.crash.restartAfterMs, crashEnded, isolation.id);
    } else {
      // A survivor that is not crashed could still hear from the decider: cut it off first.
      startAfter(isolation, 0);
      plan(crash, 0, crashEnded, isolation.id);
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
    // What is left are longest-hold timers of isolations that ended on a decision.
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    // Let steps already running settle, so nothing is applied after the heal.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  } finally {
    unsubscribe?.();
    signal?.removeEventListener("abort", onAbort);
  }
  let healError: Error | undefined;
  for (const id of active.keys()) {
    if (endsWhen.has(id) && !ended.has(id)) ended.set(id, { by: "final-heal" });
  }
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

/** Why a node was not up when a fault on it was due, as far as the nemesis knows. */
function whyNotUp(node: NodeId, crash: CrashedNode | undefined): string {
  if (!crash)
    return `${node} was not up (not crashed by the nemesis: see its node.exit or node.failed)`;
  if (crash.state === "down")
    return `${node} was not up (crashed by fault ${crash.by}, not yet restarted)`;
  if (crash.state === "restarting")
    return `${node} was not up (restarting after fault ${crash.by}'s crash)`;
  return `${node} was not up (its restart after fault ${crash.by}'s crash failed: ${crash.failure})`;
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
