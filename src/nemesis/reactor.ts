/**
 * Lab 2's reactions at run time: a slot's first decision fires a reaction (one firing in
 * force at a time) until the reactions' window closes. A firing crashes some nodes and cuts
 * the decider off; the isolation holds until the others have all decided without it.
 */

import type {
  NemesisEnded,
  NemesisTrigger,
  NodeId,
  NodeOutputEvent,
  ScheduledFault,
  TraceEvent,
} from "../trace/events.ts";
import type { FaultState } from "./fault-state.ts";
import type { FaultSteps } from "./fault-steps.ts";
import type { DecisionReaction } from "./plan.ts";
import {
  canReact,
  drawReaction,
  type ReactionFiring,
  type ReactionSpec,
  reactionRng,
  shortestFiringMs,
} from "./reactions.ts";
import type { Timeline } from "./timeline.ts";

/**
 * How long after a reaction's kills its isolation's toxics wait: Toxiproxy closes the dead
 * nodes' connections in that time, and a connection closing while a toxic is added deadlocks
 * the proxy (see fault-network.ts).
 */
const CLOSED_CONNECTIONS_GRACE_MS = 25;

/** What the reactions run with. */
export interface ReactorContext {
  timeline: Timeline;
  faults: FaultState;
  steps: FaultSteps;
  now: () => number;
  /** Run time (now()'s clock) where the schedule's 0 lies. */
  startAt: number;
}

/**
 * Calls `close` at the latest reaction's untilMs (`base`: the timers' reference), and lets the
 * run finish then: a run is not over while reactions may fire.
 */
export function closeWindow(
  run: ReactorContext,
  reactions: readonly { spec: ReactionSpec }[],
  base: number,
  close: () => void,
): void {
  const untilMs = Math.max(...reactions.map((r) => r.spec.untilMs));
  run.timeline.after(run.startAt + untilMs - base, "close the reactions' window", async () => {
    close();
    run.timeline.settle();
  });
}

/** A reaction with its generator and how often it fired. */
interface LiveReaction {
  spec: ReactionSpec<DecisionReaction>;
  rng: ReturnType<typeof reactionRng>;
  fired: number;
}

/** A firing's two faults. */
interface FiringFaults {
  isolation: ScheduledFault;
  crash: ScheduledFault;
}

export class Reactor {
  readonly #reactions: LiveReaction[];
  readonly #schedule: readonly ScheduledFault[];
  readonly #run: ReactorContext;
  /** Slots some node has output a decision for. */
  readonly #decided = new Set<string>();
  /** The firing in force (one at a time). */
  #hold: Hold | undefined;
  #nextId: number;
  #windowOpen = true;

  constructor(
    specs: readonly ReactionSpec<DecisionReaction>[],
    schedule: readonly ScheduledFault[],
    run: ReactorContext,
  ) {
    this.#reactions = specs.map((spec) => ({ spec, rng: reactionRng(spec), fired: 0 }));
    this.#schedule = schedule;
    this.#run = run;
    this.#nextId = Math.max(0, ...schedule.map((s) => s.id)) + 1;
    // The run is not finished while reactions may fire.
    run.timeline.expect(1);
  }

  /** Closes the window at the latest reaction's untilMs; `base` is the timers' reference. */
  closeWindowAt(base: number): void {
    closeWindow(this.#run, this.#reactions, base, () => {
      this.#windowOpen = false;
    });
  }

  /**
   * Fires a reaction that may answer this decision (one firing in force at a time).
   * Only a slot's first decision opens the window a reaction is for (a value chosen, not yet
   * known everywhere); a node catching up or re-printing what it recovered does not.
   */
  readonly react = (event: TraceEvent): void => {
    if (!isDecision(event)) return;
    // The firing in force waits for this decision: the survivors decided by themselves.
    this.#hold?.decided(event);
    const slot = String(event.event.slot);
    const first = !this.#decided.has(slot);
    this.#decided.add(slot);
    if (!this.#windowOpen || this.#run.timeline.stopped || this.#hold || !first) return;
    const atMs = Math.round(this.#run.now() - this.#run.startAt);
    const reaction = this.#nextTurn(atMs);
    if (reaction) this.#fire(reaction, event, atMs);
  };

  /** The reaction to fire at atMs, if any may. */
  #nextTurn(atMs: number): LiveReaction | undefined {
    // The reactions take turns (the one that fired least, then plan order), so how many
    // firings each gets does not hang on how many fit in the window at the runtime's speed.
    return this.#reactions
      .filter(
        (r) =>
          r.fired < r.spec.reaction.times &&
          canReact(atMs, shortestFiringMs(r.spec), this.#schedule, r.spec.untilMs),
      )
      .reduce<LiveReaction | undefined>(
        (best, r) => (best && best.fired <= r.fired ? best : r),
        undefined,
      );
  }

  #fire(reaction: LiveReaction, event: NodeOutputEvent, atMs: number): void {
    reaction.fired += 1;
    const trigger = triggerOf(reaction, event);
    const firing = drawReaction(reaction.rng, reaction.spec, event.node);
    const { isolation, crash } = this.#faultsOf(firing, atMs, trigger);
    this.#run.timeline.expect(2);
    const hold = this.#holdFor(String(event.event.slot), firing, isolation);
    this.#hold = hold;
    this.#start(firing, { isolation, crash }, () => this.#crashEnded(hold, firing, isolation));
  }

  /** The firing's hold: ending it ends its isolation, and lets the next firing come. */
  #holdFor(slot: string, firing: ReactionFiring, isolation: ScheduledFault): Hold {
    const { timeline, faults, steps } = this.#run;
    return new Hold(slot, firing.awaited, (ended) => {
      faults.endedBy(isolation.id, ended);
      steps.endNow(isolation, () => {
        this.#hold = undefined;
        timeline.settle();
      });
    });
  }

  /** The firing's crash has ended: its isolation ends now, or holds on up to maxHoldMs. */
  #crashEnded(hold: Hold, firing: ReactionFiring, isolation: ScheduledFault): void {
    const { timeline, faults } = this.#run;
    timeline.settle();
    // Its nodes are ready again (or failed to start, as traced): the decider stays cut
    // off until the others have all decided, however slow they are, up to maxHoldMs.
    const restartFailed = firing.crash.nodes.some((node) => faults.restartFailed(node));
    if (hold.crashEnded(restartFailed)) {
      timeline.after(firing.maxHoldMs, `end fault ${isolation.id} at its longest hold`, async () =>
        hold.timedOut(),
      );
    }
  }

  /** The firing's faults, traced with their trigger; the isolation with what ends it. */
  #faultsOf(firing: ReactionFiring, atMs: number, trigger: NemesisTrigger): FiringFaults {
    const { faults } = this.#run;
    const crash: ScheduledFault = {
      id: this.#nextId + 1,
      atMs,
      durationMs: firing.crash.restartAfterMs,
      fault: firing.crash,
    };
    // Its length is not known in advance: it ends when the survivors have decided.
    const isolation: ScheduledFault = {
      id: this.#nextId,
      atMs,
      durationMs: firing.crash.restartAfterMs,
      fault: firing.isolation,
    };
    this.#nextId += 2;
    for (const s of [isolation, crash]) faults.triggeredBy(s.id, trigger);
    faults.endsWhen(isolation.id, {
      after: crash.id,
      decidedBy: firing.awaited,
      maxHoldMs: firing.maxHoldMs,
    });
    return { isolation, crash };
  }

  /** Sets the firing's faults off; `crashEnded` runs once its crash has ended. */
  #start(firing: ReactionFiring, { isolation, crash }: FiringFaults, crashEnded: () => void): void {
    const { steps } = this.#run;
    // From timers, not inside the emit that delivered the decision. Toxics are never added
    // while the crash closes connections on the same links: that deadlocks Toxiproxy's
    // proxies (see fault-network.ts).
    if (firing.crash.nodes.length === firing.awaited.length) {
      // Crashing every other node cuts the decider off by itself, and at once: the kills go
      // first, so a node that would have learned the decision in the milliseconds the
      // toxics take is already down; the isolation follows once their connections have
      // closed, and nobody is back before it is in force.
      steps.startAfter(crash, 0);
      steps.startAfter(isolation, 0, crash.id, CLOSED_CONNECTIONS_GRACE_MS);
      steps.endAfter(crash, firing.crash.restartAfterMs, crashEnded, isolation.id);
    } else {
      // A survivor that is not crashed could still hear from the decider: cut it off first.
      steps.startAfter(isolation, 0);
      steps.plan(crash, 0, crashEnded, isolation.id);
    }
  }
}

/** The firing in force: whose decision of which slot its isolation still waits for. */
class Hold {
  readonly #slot: string;
  readonly #undecided: Set<NodeId>;
  /** Its crash has ended (its nodes are ready again, or failed to start). */
  #crashEnded = false;
  #ending = false;
  readonly #end: (ended: NemesisEnded) => void;

  constructor(slot: string, awaited: NodeId[], end: (ended: NemesisEnded) => void) {
    this.#slot = slot;
    this.#undecided = new Set(awaited);
    this.#end = end;
  }

  /** A node decided: once its crash has ended, the last awaited decision ends it. */
  decided(event: NodeOutputEvent): void {
    if (String(event.event.slot) !== this.#slot) return;
    this.#undecided.delete(event.node);
    if (this.#crashEnded && this.#undecided.size === 0) this.#endWith({ by: "decided" });
  }

  /**
   * Its crash has ended: it ends now if a crashed node could not restart or every awaited
   * node has decided; otherwise it holds on (true).
   */
  crashEnded(restartFailed: boolean): boolean {
    this.#crashEnded = true;
    if (restartFailed) this.#endWith({ by: "restart-failed" });
    else if (this.#undecided.size === 0) this.#endWith({ by: "decided" });
    else return true;
    return false;
  }

  /** Its longest hold is over: it ends, saying who had not decided. */
  timedOut(): void {
    this.#endWith({ by: "max-hold", undecided: [...this.#undecided] });
  }

  /** Ends the isolation, once, with its reason. */
  #endWith(ended: NemesisEnded): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#end(ended);
  }
}

function isDecision(event: TraceEvent): event is NodeOutputEvent {
  return event.type === "node.event" && event.event.type === "decide";
}

/** What fired the reaction: its latest firing, on this decision. */
function triggerOf(reaction: LiveReaction, event: NodeOutputEvent): NemesisTrigger {
  const slot = event.event.slot;
  return {
    reaction: reaction.spec.index,
    firing: reaction.fired,
    event: "decide",
    node: event.node,
    ...(typeof slot === "number" ? { slot } : {}),
    t: event.t,
  };
}
