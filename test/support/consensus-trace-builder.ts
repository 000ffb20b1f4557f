/**
 * Builds synthetic lab 2 traces for checker tests: nodes, client proposals and CONS_DECIDED
 * queries with explicit times, decide lines, faults and the final heal. Events may be added in
 * any order; `trace()` sorts them by time (stably). Values are base64, as in real traces.
 */
import {
  CONS_PROCS,
  CONS_PROG,
  type ConsCall,
  type ConsResult,
} from "../../labs/consensus/protocol/cons-types.ts";
import type { ReplyOutcome } from "../../src/rpc/reply-outcome.ts";
import type { NodeId } from "../../src/trace/events.ts";
import { SyntheticTraceBuilder } from "./synthetic-trace.ts";

/** Text as the base64 the trace carries. */
export const b64 = (text: string): string => Buffer.from(text, "latin1").toString("base64");

export const consSuccess = (result: ConsResult): ReplyOutcome => ({
  kind: "success",
  result,
  verifierFlavor: 0,
});

export class ConsOpHandle {
  readonly id: number;
  readonly node: NodeId;
  readonly call: ConsCall;
  private readonly builder: ConsensusTraceBuilder;
  private readonly conn: number;
  private xid: number | undefined;

  constructor(
    builder: ConsensusTraceBuilder,
    id: number,
    node: NodeId,
    call: ConsCall,
    conn: number,
  ) {
    this.builder = builder;
    this.id = id;
    this.node = node;
    this.call = call;
    this.conn = conn;
  }

  /** A transmission; later ones are retransmissions with the same xid. */
  send(t: number): this {
    const first = this.xid === undefined;
    this.xid ??= this.builder.nextXid();
    this.builder.add({
      type: "rpc.send",
      t,
      conn: this.conn,
      xid: this.xid,
      op: this.id,
      kind: first ? "first" : "retransmit",
      prog: CONS_PROG,
      vers: 1,
      proc: CONS_PROCS[this.call.proc],
      cred: { flavor: "AUTH_NONE" },
      bytes: 64,
    });
    return this;
  }

  reply(t: number, outcome: ReplyOutcome): this {
    if (this.xid === undefined) throw new Error(`op ${this.id} was never sent; call send() first`);
    this.builder.add({ type: "rpc.reply", t, conn: this.conn, xid: this.xid, outcome, bytes: 32 });
    return this;
  }

  /** CONS_PROPOSE's acknowledgement. */
  ack(t: number): this {
    return this.reply(t, consSuccess({ proc: "CONS_PROPOSE" }));
  }

  /** CONS_DECIDED's answer: a base64 value for TRUE, false for FALSE. */
  answer(t: number, value: string | false): this {
    return this.reply(
      t,
      consSuccess(
        value === false
          ? { proc: "CONS_DECIDED", decided: false }
          : { proc: "CONS_DECIDED", decided: true, value },
      ),
    );
  }
}

export interface ConsensusTraceOptions {
  /** Node count (n1..nN) or names; default 3. */
  nodes?: number | NodeId[];
  params?: Record<string, unknown>;
}

export class ConsensusTraceBuilder extends SyntheticTraceBuilder {
  readonly nodes: NodeId[];
  private readonly conns = new Map<string, number>();
  private readonly incarnations = new Map<NodeId, number>();
  /** The id of the latest operation (for evidence assertions). */
  lastOp = 0;
  private lastXid = 0;

  constructor(options: ConsensusTraceOptions = {}) {
    const count = options.nodes ?? 3;
    const nodes =
      typeof count === "number" ? Array.from({ length: count }, (_, i) => `n${i + 1}`) : count;
    super({ lab: "consensus", nodes, params: options.params ?? {} });
    this.nodes = nodes;
  }

  nextXid(): number {
    this.lastXid += 1;
    return this.lastXid;
  }

  private connOf(client: string, node: NodeId, t: number): number {
    const key = `${client}-${node}`;
    let conn = this.conns.get(key);
    if (conn === undefined) {
      conn = this.conns.size + 1;
      this.conns.set(key, conn);
      this.add({ type: "conn.open", t, conn, client, link: key });
    }
    return conn;
  }

  /** Starts every node (first incarnation), ready at t. */
  boot(t = 0): this {
    for (const node of this.nodes) this.start(t, node);
    return this;
  }

  /** A new incarnation of the node: node.start and node.ready at t. */
  start(t: number, node: NodeId): this {
    const incarnation = (this.incarnations.get(node) ?? 0) + 1;
    this.incarnations.set(node, incarnation);
    this.add({
      type: "node.start",
      t,
      node,
      incarnation,
      pid: 1000 + incarnation,
      port: 7000,
      dataDir: `/tmp/${node}`,
    });
    return this.add({ type: "node.ready", t, node, incarnation });
  }

  /** SIGKILL and the exit it causes. */
  kill(t: number, node: NodeId): this {
    const incarnation = this.incarnations.get(node) ?? 1;
    this.add({ type: "node.kill", t, node, incarnation });
    return this.add({
      type: "node.exit",
      t,
      node,
      incarnation,
      code: null,
      signal: "SIGKILL",
      expected: true,
    });
  }

  /** A crash fault as the nemesis runs it: kill at t0, restarted at t1. */
  crash(t0: number, t1: number, id: number, node: NodeId): this {
    this.fault(t0, t1, id, { kind: "crash", node, restartAfterMs: t1 - t0 });
    this.kill(t0, node);
    return this.start(t1, node);
  }

  /** A pause fault: node.pause at t0, node.resume at t1. */
  pause(t0: number, t1: number, id: number, node: NodeId): this {
    this.fault(t0, t1, id, { kind: "pause", node });
    const incarnation = this.incarnations.get(node) ?? 1;
    this.add({ type: "node.pause", t: t0, node, incarnation });
    return this.add({ type: "node.resume", t: t1, node, incarnation });
  }

  invoke(t: number, node: NodeId, call: ConsCall, client = "c1"): ConsOpHandle {
    this.lastOp += 1;
    const op = new ConsOpHandle(this, this.lastOp, node, call, this.connOf(client, node, t));
    this.add({ type: "op.invoke", t, op: op.id, client, node, call });
    return op;
  }

  /** CONS_PROPOSE sent at t (its op id is then `lastOp`); acknowledged at ackAt unless that is undefined. */
  propose(t: number, node: NodeId, slot: number | string, value: string, ackAt?: number): this {
    const op = this.invoke(t, node, { proc: "CONS_PROPOSE", slot: String(slot), value }).send(t);
    if (ackAt !== undefined) op.ack(ackAt);
    return this;
  }

  /** CONS_DECIDED sent at t, answered at answerAt (value for TRUE, false for FALSE). */
  query(
    t: number,
    node: NodeId,
    slot: number | string,
    answerAt: number,
    value: string | false,
  ): this {
    this.invoke(t, node, { proc: "CONS_DECIDED", slot: String(slot) })
      .send(t)
      .answer(answerAt, value);
    return this;
  }

  /** A decide line printed by the node. */
  decide(t: number, node: NodeId, slot: number, value: string): this {
    return this.output(t, node, { type: "decide", slot, value });
  }

  /** Any stdout event object (malformed decide lines, logs with another type). */
  output(t: number, node: NodeId, event: Record<string, unknown>): this {
    return this.add({ type: "node.event", t, node, event });
  }

  /** Every node prints and every node answers TRUE for the slot (a healthy decision). */
  decideEverywhere(
    t: number,
    slot: number,
    value: string,
    nodes: readonly NodeId[] = this.nodes,
  ): this {
    for (const node of nodes) {
      this.decide(t, node, slot, value);
      this.query(t + 1, node, slot, t + 2, value);
    }
    return this;
  }

  /** `from` cannot reach `to` for each cut. */
  partition(t0: number, t1: number, id: number, cuts: [string, string][]): this {
    return this.fault(t0, t1, id, { kind: "partition", name: `p${id}`, cuts });
  }

  /** Cuts both directions between the two groups. */
  split(t0: number, t1: number, id: number, a: readonly NodeId[], b: readonly NodeId[]): this {
    const cuts: [string, string][] = a.flatMap((x) =>
      b.flatMap((y): [string, string][] => [
        [x, y],
        [y, x],
      ]),
    );
    return this.partition(t0, t1, id, cuts);
  }

  heal(t: number): this {
    return this.add({ type: "nemesis.heal", t });
  }
}
