/**
 * Executes a fault schedule against the fault network and the node runtime. Every start and
 * end is a timer set from the run's start (not sleeps chained one after another, so lateness
 * never accumulates); faults overlap as scheduled. Reactions (lab 2) add faults when the
 * run's events call for them. Whatever happens (completion, abort, an error), it ends with a
 * final heal: no toxics, every proxy enabled, paused nodes resumed, crashed nodes restarted.
 *
 * Its parts: the Timeline runs the steps and stops at the first failure; FaultState begins,
 * ends and heals the faults; FaultSteps sets them off on the timeline; the Reactor fires the
 * reactions to decisions, the AnswerReactor those to replies.
 */

import type { ScheduledFault, TraceEvent } from "../trace/events.ts";
import { AnswerReactor } from "./answer-reactor.ts";
import { FaultState, type FaultTargets } from "./fault-state.ts";
import { FaultSteps } from "./fault-steps.ts";
import type { AnswerReaction } from "./plan.ts";
import { isDecisionSpec, type ReactionSpec } from "./reactions.ts";
import { Reactor } from "./reactor.ts";
import { Timeline } from "./timeline.ts";

export interface NemesisRunOptions extends FaultTargets {
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

export async function runSchedule(
  schedule: readonly ScheduledFault[],
  options: NemesisRunOptions,
): Promise<NemesisOutcome> {
  const { now } = options;
  const startAt = options.startAtMs ?? now();
  const reactions = options.reactions ?? [];
  if (reactions.length > 0 && !options.observe) {
    throw new Error("nemesis: reactions need options.observe to see the run's events");
  }
  const timeline = new Timeline();
  const faults = new FaultState(options, () => timeline.inFlightSettled());
  const steps = new FaultSteps(timeline, faults);
  const context = { timeline, faults, steps, now, startAt };
  const deciding = reactions.filter(isDecisionSpec);
  const answering = reactions.filter(
    (spec): spec is ReactionSpec<AnswerReaction> => !isDecisionSpec(spec),
  );
  const reactors = [
    ...(deciding.length > 0 ? [new Reactor(deciding, schedule, context)] : []),
    ...(answering.length > 0 ? [new AnswerReactor(answering, schedule, context)] : []),
  ];

  const base = now(); // one reference for every timer, so equal times fire in schedule order
  timeline.expect(schedule.length);
  for (const s of schedule) steps.plan(s, startAt + s.atMs - base, () => timeline.settle());
  for (const reactor of reactors) reactor.closeWindowAt(base);
  const unsubscribes = reactors.map((reactor) => options.observe?.(reactor.react));

  let status: NemesisOutcome["status"];
  try {
    status = await untilDone(timeline, options.signal);
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe?.();
  }
  await healAtTheEnd(faults, timeline, options);
  return { status, skipped: faults.skipped, nodeFailures: faults.nodeFailures };
}

/**
 * Waits for the schedule to finish, or to stop (a step failed, or `signal` aborted it), then
 * for the steps still running; says whether it was aborted.
 */
async function untilDone(
  timeline: Timeline,
  signal: AbortSignal | undefined,
): Promise<NemesisOutcome["status"]> {
  let status: NemesisOutcome["status"] = "completed";
  const onAbort = () => {
    status = "aborted";
    timeline.stop();
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await timeline.finished();
    // What is left are longest-hold timers of isolations that ended on a decision. Steps
    // already running settle, so nothing is applied after the heal.
    await timeline.drain();
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return status;
}

/**
 * Ends whatever is still in force, then traces nemesis.heal. Throws the first step that
 * failed, the heal's failure, or both.
 */
async function healAtTheEnd(
  faults: FaultState,
  timeline: Timeline,
  { emit, now }: FaultTargets,
): Promise<void> {
  let healError: Error | undefined;
  try {
    await faults.healAll();
    // Lab 2's termination is judged from here on.
    emit({ type: "nemesis.heal", t: now() });
  } catch (error) {
    healError = new Error(`nemesis: the final heal failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const failure = timeline.failure;
  if (failure && healError) {
    throw new Error(`${failure.message}; then ${healError.message}`, { cause: failure });
  }
  if (failure ?? healError) throw failure ?? healError;
}
