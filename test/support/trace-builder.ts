/**
 * Builds synthetic lab 1 traces for checker tests: a few calls with explicit times instead of
 * a real run. Events may be added in any order; `trace()` sorts them by time (stably).
 */
import { applyCall, EMPTY_STATE } from "../../src/kv/kv-model.ts";
import {
  KV_PROCS,
  KV_PROG,
  type KvCall,
  type KvResult,
  type KvStatus,
} from "../../src/kv/kv-types.ts";
import type { ReplyOutcome } from "../../src/rpc/reply-outcome.ts";
import type { RpcSendEvent, SentCredential } from "../../src/trace/events.ts";
import { SyntheticTraceBuilder } from "./synthetic-trace.ts";

export const create = (key: string, val: string): KvCall => ({ proc: "CREATE", key, val });
export const set = (key: string, val: string): KvCall => ({ proc: "SET", key, val });
export const remove = (key: string): KvCall => ({ proc: "REMOVE", key });
export const get = (key: string): KvCall => ({ proc: "GET", key });
export const list = (key: string): KvCall => ({ proc: "LIST", key });

/** The SUCCESS result a call would carry: `payload` is GET's value or LIST's names. */
export function result(
  call: KvCall,
  status: KvStatus = "KV_OK",
  payload?: string | string[],
): KvResult {
  switch (call.proc) {
    case "NULL":
      return { proc: "NULL" };
    case "BOOT":
      return { proc: "BOOT", cookie: String(payload ?? "1") };
    case "GET":
      return status === "KV_OK"
        ? { proc: "GET", status, val: String(payload ?? "") }
        : { proc: "GET", status };
    case "LIST":
      return status === "KV_OK"
        ? { proc: "LIST", status, children: Array.isArray(payload) ? payload : [] }
        : { proc: "LIST", status };
    default:
      return { proc: call.proc, status };
  }
}

export const success = (r: KvResult): ReplyOutcome => ({
  kind: "success",
  result: r,
  verifierFlavor: 0,
});
export const denied = (stat: "AUTH_BADCRED" | "AUTH_REJECTEDCRED"): ReplyOutcome => ({
  kind: "auth-error",
  stat,
});
export const acceptError = (
  stat: "PROG_UNAVAIL" | "PROG_MISMATCH" | "PROC_UNAVAIL" | "GARBAGE_ARGS" | "SYSTEM_ERR",
  mismatch?: { low: number; high: number },
): ReplyOutcome => ({
  kind: "accepted-error",
  stat,
  verifierFlavor: 0,
  ...(mismatch ? { mismatch } : {}),
});

interface Transmission {
  conn: number;
  xid: number;
}

export interface SendOptions {
  conn?: number;
  kind?: RpcSendEvent["kind"];
  cred?: SentCredential;
  /** Reuse the op's latest xid (a retransmission); default for kind retransmit/duplicate. */
  sameXid?: boolean;
}

export class OpHandle {
  readonly id: number;
  readonly client: string;
  readonly call: KvCall;
  readonly sent: Transmission[] = [];
  private readonly builder: TraceBuilder;

  constructor(builder: TraceBuilder, id: number, client: string, call: KvCall) {
    this.builder = builder;
    this.id = id;
    this.client = client;
    this.call = call;
  }

  send(t: number, options: SendOptions = {}): this {
    const kind = options.kind ?? (this.sent.length === 0 ? "first" : "retransmit");
    const last = this.sent.at(-1);
    const reuse = options.sameXid ?? kind !== "first";
    const xid = reuse && last ? last.xid : this.builder.nextXid(this.client);
    const conn = options.conn ?? this.builder.connOf(this.client);
    this.sent.push({ conn, xid });
    this.builder.add({
      type: "rpc.send",
      t,
      conn,
      xid,
      op: this.id,
      kind,
      prog: KV_PROG,
      vers: 1,
      proc: KV_PROCS[this.call.proc],
      cred: options.cred ?? this.builder.amo(this.client),
      bytes: 64,
    });
    return this;
  }

  /** A reply to the latest transmission (or to transmission number `which`). */
  reply(t: number, outcome: ReplyOutcome, which?: number): this {
    const target = this.sent[which ?? this.sent.length - 1];
    if (!target)
      throw new Error(`op ${this.id} has no transmission to reply to; call send() first`);
    this.builder.add({
      type: "rpc.reply",
      t,
      conn: target.conn,
      xid: target.xid,
      outcome,
      bytes: 32,
    });
    return this;
  }

  /** A SUCCESS reply carrying `result(call, status, payload)`. */
  ok(t: number, status: KvStatus = "KV_OK", payload?: string | string[], which?: number): this {
    return this.reply(t, success(result(this.call, status, payload)), which);
  }
}

export class TraceBuilder extends SyntheticTraceBuilder {
  private nextOp = 1;
  private nextConn = 1;
  private readonly xids = new Map<string, number>();
  private readonly conns = new Map<string, number>();
  /** The cookie AUTH_AMO calls carry by default; `boot()` updates it. */
  cookie = "1001";

  /** Lab 1's one node by default; lab 3's tests name their lab and nodes. */
  constructor(params: Record<string, unknown> = {}, cluster = { lab: "rpc", nodes: ["n1"] }) {
    super({ ...cluster, params });
  }

  nextXid(client: string): number {
    const xid = (this.xids.get(client) ?? 0) + 1;
    this.xids.set(client, xid);
    return xid;
  }

  connOf(client: string): number {
    let conn = this.conns.get(client);
    if (conn === undefined) {
      conn = this.nextConn++;
      this.conns.set(client, conn);
      this.add({ type: "conn.open", t: 0, conn, client, link: "n1" });
    }
    return conn;
  }

  /** Opens a fresh connection for the client and makes it the client's default. */
  newConn(client: string, t: number): number {
    const conn = this.nextConn++;
    this.conns.set(client, conn);
    this.add({ type: "conn.open", t, conn, client, link: "n1" });
    return conn;
  }

  /** Opens a connection from the client to `node` (link "<client>-<node>", as lab 3 names them). */
  connTo(client: string, node: string, t: number): number {
    const conn = this.nextConn++;
    this.add({ type: "conn.open", t, conn, client, link: `${client}-${node}` });
    return conn;
  }

  amo(client: string, ackedXid = 0, cookie = this.cookie): SentCredential {
    return { flavor: "AUTH_AMO", clientId: client, cookie, ackedXid };
  }

  invoke(t: number, client: string, call: KvCall): OpHandle {
    const op = new OpHandle(this, this.nextOp++, client, call);
    this.add({ type: "op.invoke", t, op: op.id, client, call });
    return op;
  }

  /** invoke + one transmission + its SUCCESS reply. */
  okCall(
    client: string,
    call: KvCall,
    t0: number,
    t1: number,
    status?: KvStatus,
    payload?: string | string[],
  ): OpHandle {
    return this.invoke(t0, client, call).send(t0).ok(t1, status, payload);
  }

  /** invoke + one transmission that never got a reply: indeterminate. */
  infoCall(client: string, call: KvCall, t0: number): OpHandle {
    return this.invoke(t0, client, call).send(t0);
  }

  /** A BOOT call (AUTH_NONE) whose reply carries `cookie`; later calls use it. */
  boot(t0: number, t1: number, cookie: string, client = "boot"): OpHandle {
    const op = this.invoke(t0, client, { proc: "BOOT" }).send(t0, {
      cred: { flavor: "AUTH_NONE" },
    });
    op.ok(t1, "KV_OK", cookie);
    this.cookie = cookie;
    return op;
  }

  ready(t: number, incarnation = 1, node = "n1"): this {
    return this.add({ type: "node.ready", t, node, incarnation });
  }

  kill(t: number, incarnation = 1, node = "n1"): this {
    return this.add({ type: "node.kill", t, node, incarnation });
  }

  probe(t: number, probe: string, step: string, detail?: Record<string, unknown>): this {
    return this.add({ type: "probe", t, probe, step, ...(detail ? { detail } : {}) });
  }

  memory(t: number, rssKiB: number, node = "n1"): this {
    return this.add({ type: "node.memory", t, node, rssKiB });
  }

  /** A raw transmission outside any op (a probe's hand-made call). */
  rawSend(t: number, fields: Partial<RpcSendEvent> & { conn: number; xid: number }): this {
    return this.add({
      type: "rpc.send",
      kind: "first",
      prog: KV_PROG,
      vers: 1,
      proc: KV_PROCS.GET,
      cred: { flavor: "AUTH_NONE" },
      bytes: 64,
      ...fields,
      t,
    });
  }

  rawReply(t: number, conn: number, xid: number, outcome: ReplyOutcome): this {
    return this.add({ type: "rpc.reply", t, conn, xid, outcome, bytes: 32 });
  }
}

export interface RandomHistoryOptions {
  ops: number;
  /** Top-level keys; each also has one child key. */
  keys: number;
  clients: number;
  /** Fraction of calls whose reply is lost (about half of those still take effect). */
  infoRate: number;
  seed: number;
  /** Fraction of calls that are LIST "/", which couples every key. */
  rootListRate?: number;
}

/** mulberry32: a tiny deterministic generator, enough for test data. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface PlannedCall {
  client: string;
  call: KvCall;
  t0: number;
  t1: number;
  /** The instant it takes effect; undefined for a lost call that never ran. */
  at?: number;
  lost: boolean;
}

function randomCall(
  pick: (n: number) => number,
  keys: number,
  round: number,
  rootList: boolean,
): KvCall {
  if (rootList) return list("/");
  const top = `/k${pick(keys)}`;
  const key = pick(3) === 0 ? `${top}/c` : top;
  switch (pick(6)) {
    case 0:
      return create(key, `v${round}`);
    case 1:
      return set(key, `v${round}`);
    case 2:
      return remove(key);
    case 3:
      return list(key);
    default:
      return get(key);
  }
}

/**
 * Appends a linearizable history: concurrent clients (each one call at a time), every call
 * taking effect at a random instant inside its interval, replies computed by replaying the
 * calls in that order on the model, some replies lost. Deterministic for a seed.
 */
export function addRandomValidHistory(b: TraceBuilder, o: RandomHistoryOptions): void {
  const random = seededRandom(o.seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const free = new Array<number>(o.clients).fill(0);
  const planned: PlannedCall[] = [];
  for (let i = 0; i < o.ops; i++) {
    const c = i % o.clients;
    const t0 = (free[c] ?? 0) + 1 + pick(5);
    const t1 = t0 + 1 + pick(20);
    free[c] = t1;
    const lost = random() < o.infoRate;
    const at = lost && pick(2) === 0 ? undefined : t0 + random() * (t1 - t0);
    planned.push({
      client: `c${c}`,
      call: randomCall(pick, o.keys, i, random() < (o.rootListRate ?? 0)),
      t0,
      t1,
      at,
      lost,
    });
  }
  let state = EMPTY_STATE;
  const results = new Map<PlannedCall, KvResult>();
  for (const p of planned
    .filter((p) => p.at !== undefined)
    .sort((x, y) => (x.at ?? 0) - (y.at ?? 0))) {
    const step = applyCall(state, p.call);
    state = step.state;
    results.set(p, step.result);
  }
  for (const p of planned) {
    const op = b.invoke(p.t0, p.client, p.call).send(p.t0);
    const r = results.get(p);
    if (!p.lost && r) op.reply(p.t1, success(r));
  }
}
