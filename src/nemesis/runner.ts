/**
 * Executes a fault schedule against the fault network and the node runtime. Every start and
 * end is a timer set from the run's start (not sleeps chained one after another, so lateness
 * never accumulates); faults overlap as scheduled. Whatever happens (completion, abort, an
 * error), it ends with a final heal: no toxics, every proxy enabled, paused nodes resumed,
 * crashed nodes restarted.
 */

import { describeFault } from "../net/describe-fault.ts";
import { isLinkFault, type LinkFaultTarget } from "../net/fault-network.ts";
import type { NodeRuntime } from "../runtime/types.ts";
import type { Fault, ScheduledFault, TraceEvent } from "../trace/events.ts";

export interface NemesisRunOptions {
  network: LinkFaultTarget;
  runtime: NodeRuntime;
  emit: (event: TraceEvent) => void;
  now: () => number;
  /** Stops the schedule early; the final heal still runs. */
  signal?: AbortSignal;
  /** Run time (now()'s clock) where the schedule's 0 lies; default now() at the call. */
  startAtMs?: number;
}

export interface NemesisOutcome {
  status: "completed" | "aborted";
  /** Node faults not injected because their node was not up when they were due. */
  skipped: number[];
  /** Nodes that did not come back after a crash (their node.failed says why). */
  nodeFailures: string[];
}

/** A fault in force, with how to end it. */
interface ActiveFault {
  scheduled: ScheduledFault;
  end: () => Promise<void>;
}

export async function runSchedule(
  schedule: readonly ScheduledFault[],
  options: NemesisRunOptions,
): Promise<NemesisOutcome> {
  const { network, runtime, emit, now, signal } = options;
  const startAt = options.startAtMs ?? now();
  const active = new Map<number, ActiveFault>();
  const begun = new Map<number, Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const outcome: NemesisOutcome = { status: "completed", skipped: [], nodeFailures: [] };
  let failure: Error | undefined;
  let pendingEnds = schedule.length;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const stopScheduling = () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    finish();
  };
  const nemesisEvent = (type: "nemesis.start" | "nemesis.stop", s: ScheduledFault) =>
    emit({ type, t: now(), id: s.id, fault: s.fault });

  const restart = async (node: string) => {
    const result = await runtime.restart(node);
    if (!result.ok) outcome.nodeFailures.push(`${node}: ${result.reason}`);
  };

  const begin = async (s: ScheduledFault): Promise<void> => {
    const fault = s.fault;
    if (isLinkFault(fault)) {
      nemesisEvent("nemesis.start", s);
      const applied = await network.apply(fault);
      active.set(s.id, { scheduled: s, end: () => network.remove(applied) });
      return;
    }
    if (!runtime.isUp(fault.node)) {
      outcome.skipped.push(s.id);
      return;
    }
    nemesisEvent("nemesis.start", s);
    if (fault.kind === "crash") {
      await runtime.kill(fault.node);
      active.set(s.id, { scheduled: s, end: () => restart(fault.node) });
    } else {
      await runtime.pause(fault.node);
      active.set(s.id, { scheduled: s, end: () => runtime.resume(fault.node) });
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

  /** Runs a step at a run-relative time; a failing step stops the schedule. */
  const base = now(); // one reference for every timer, so equal times fire in schedule order
  const at = (offsetMs: number, what: string, step: () => Promise<void>) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        const running = step().catch((error: unknown) => {
          failure ??= new Error(`nemesis: could not ${what}: ${(error as Error).message}`, {
            cause: error,
          });
          stopScheduling();
        });
        inFlight.add(running);
        void running.finally(() => inFlight.delete(running));
      },
      Math.max(0, startAt + offsetMs - base),
    );
    timers.add(timer);
  };

  for (const s of schedule) {
    at(s.atMs, `start fault ${s.id} (${describeFault(s.fault)})`, () => {
      const started = begin(s);
      begun.set(
        s.id,
        started.catch(() => undefined),
      );
      return started;
    });
    at(s.atMs + activeMs(s), `end fault ${s.id} (${describeFault(s.fault)})`, async () => {
      try {
        await end(s);
      } finally {
        pendingEnds -= 1;
        if (pendingEnds === 0) finish();
      }
    });
  }
  if (pendingEnds === 0) finish();

  const onAbort = () => {
    outcome.status = "aborted";
    stopScheduling();
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await finished;
    // Let steps already running settle, so nothing is applied after the heal.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  let healError: Error | undefined;
  try {
    await finalHeal(network, [...active.values()], restart, runtime, nemesisEvent);
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

/** How long a fault is in force: a crash lasts until its restart. */
function activeMs(s: ScheduledFault): number {
  return s.fault.kind === "crash" ? s.fault.restartAfterMs : s.durationMs;
}

async function finalHeal(
  network: LinkFaultTarget,
  stillActive: ActiveFault[],
  restart: (node: string) => Promise<void>,
  runtime: NodeRuntime,
  nemesisEvent: (type: "nemesis.stop", s: ScheduledFault) => void,
): Promise<void> {
  await network.healAll();
  const nodeFaults = stillActive.filter((a) => !isLinkFault(a.scheduled.fault));
  await Promise.all(nodeFaults.map(({ scheduled }) => healNode(scheduled.fault, restart, runtime)));
  for (const a of stillActive) nemesisEvent("nemesis.stop", a.scheduled);
}

async function healNode(
  fault: Fault,
  restart: (node: string) => Promise<void>,
  runtime: NodeRuntime,
): Promise<void> {
  if (fault.kind === "pause") await runtime.resume(fault.node);
  else if (fault.kind === "crash" && !runtime.isUp(fault.node)) await restart(fault.node);
}
