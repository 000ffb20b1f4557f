/**
 * Answer reactions at run time (lab 3): a node's SUCCESS reply to one of the reaction's
 * procedures (a write) fires it, one firing in force at a time, until the reactions' window
 * closes. A firing cuts the answering node off from every other node for a drawn hold: what it
 * answered must already be committed by a majority, which the workload then asks.
 */

import type { NemesisTrigger, NodeId, ScheduledFault, TraceEvent } from "../trace/events.ts";
import { isolate } from "./partition.ts";
import type { AnswerReaction } from "./plan.ts";
import { draw } from "./random.ts";
import { canReact, type ReactionSpec, reactionRng, shortestFiringMs } from "./reactions.ts";
import { closeWindow, type ReactorContext } from "./reactor.ts";

interface LiveAnswerReaction {
  spec: ReactionSpec<AnswerReaction>;
  rng: ReturnType<typeof reactionRng>;
  fired: number;
}

export class AnswerReactor {
  readonly #reactions: LiveAnswerReaction[];
  readonly #schedule: readonly ScheduledFault[];
  readonly #run: ReactorContext;
  /** The node each client connection goes to (from its link, "<client>-<node>"). */
  readonly #nodeOfConn = new Map<number, NodeId>();
  /** The procedure of each transmission, by "conn:xid". */
  readonly #procOfCall = new Map<string, number>();
  #holding = false;
  #windowOpen = true;
  #nextId: number;

  constructor(
    specs: readonly ReactionSpec<AnswerReaction>[],
    schedule: readonly ScheduledFault[],
    run: ReactorContext,
  ) {
    this.#reactions = specs.map((spec) => ({ spec, rng: reactionRng(spec), fired: 0 }));
    this.#schedule = schedule;
    this.#run = run;
    // Ids after the scheduled faults' and after a decision reactor's, which counts up from the
    // same start by twos: answer firings take ids from the far end.
    this.#nextId = Math.max(0, ...schedule.map((s) => s.id)) + 10_000;
    run.timeline.expect(1);
  }

  /** Closes the window at the latest reaction's untilMs; `base` is the timers' reference. */
  closeWindowAt(base: number): void {
    closeWindow(this.#run, this.#reactions, base, () => {
      this.#windowOpen = false;
    });
  }

  readonly react = (event: TraceEvent): void => {
    if (event.type === "conn.open") {
      const node = this.#reactions[0]?.spec.nodes.find((n) => event.link.endsWith(`-${n}`));
      if (node !== undefined) this.#nodeOfConn.set(event.conn, node);
      return;
    }
    if (event.type === "rpc.send") {
      this.#procOfCall.set(`${event.conn}:${event.xid}`, event.proc);
      return;
    }
    if (event.type !== "rpc.reply" || event.outcome.kind !== "success") return;
    const node = this.#nodeOfConn.get(event.conn);
    const proc = this.#procOfCall.get(`${event.conn}:${event.xid}`);
    if (node === undefined || proc === undefined) return;
    if (!this.#windowOpen || this.#run.timeline.stopped || this.#holding) return;
    const atMs = Math.round(this.#run.now() - this.#run.startAt);
    const reaction = this.#reactions.find(
      (r) =>
        r.fired < r.spec.reaction.times &&
        r.spec.reaction.procs.includes(proc) &&
        canReact(atMs, shortestFiringMs(r.spec), this.#schedule, r.spec.untilMs),
    );
    if (!reaction) return;
    this.#fire(reaction, atMs, {
      reaction: reaction.spec.index,
      firing: reaction.fired + 1,
      event: "reply",
      node,
      conn: event.conn,
      xid: event.xid,
      t: event.t,
    });
  };

  #fire(reaction: LiveAnswerReaction, atMs: number, trigger: NemesisTrigger): void {
    const { timeline, faults, steps } = this.#run;
    reaction.fired += 1;
    const holdMs = Math.round(
      draw(reaction.rng, reaction.spec.reaction.holdMs) * reaction.spec.timeScale,
    );
    const isolation: ScheduledFault = {
      id: this.#nextId,
      atMs,
      durationMs: holdMs,
      fault: {
        kind: "partition",
        name: "isolate-one",
        cuts: isolate(trigger.node, reaction.spec.nodes),
      },
    };
    this.#nextId += 1;
    faults.triggeredBy(isolation.id, trigger);
    this.#holding = true;
    timeline.expect(1);
    // From a timer, not inside the emit that delivered the reply.
    steps.plan(isolation, 0, () => {
      this.#holding = false;
      timeline.settle();
    });
  }
}
