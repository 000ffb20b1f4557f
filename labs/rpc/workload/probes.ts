/**
 * Directed probes: short scripted runs that hit a rule a random schedule would rarely hit. They
 * only act and record (probe events plus the ordinary op/rpc events); the checkers decide.
 */
import { connect } from "node:net";
import { encodeKvArgs } from "../../../src/kv/kv-codec.ts";
import { kvProgram } from "../../../src/kv/kv-program.ts";
import { KV_PROCS, KV_PROG, KV_V1, type KvCall } from "../../../src/kv/kv-types.ts";
import { AUTH_AMO, encodeAmoCred } from "../../../src/rpc/amo-credential.ts";
import { AUTH_SYS, type CallMessage, encodeCall } from "../../../src/rpc/message.ts";
import { encodeFragmentHeader, encodeRecord } from "../../../src/rpc/record.ts";
import type { NodeRuntime } from "../../../src/runtime/types.ts";
import type { SentCredential } from "../../../src/trace/events.ts";
import { sleep } from "../../../src/workload/amo-client.ts";
import { clientIds } from "../../../src/workload/client-ids.ts";
import type { TracedCall, TracedConnection } from "../../../src/workload/traced-connection.ts";
import { type KvClient, makeClient, type WorkloadContext } from "./random-workload.ts";

export interface ProbeContext extends WorkloadContext {
  runtime: NodeRuntime;
  node: string;
}

const TIMING = { retransmitMs: 1000, giveUpMs: 8000 };
const REPLY_WAIT_MS = 3000;

function note(ctx: ProbeContext, probe: string, step: string, detail?: Record<string, unknown>) {
  ctx.recorder.emit({
    type: "probe",
    t: ctx.recorder.now(),
    probe,
    step,
    ...(detail ? { detail } : {}),
  });
}

async function readyClient(ctx: ProbeContext, name: string, index: number): Promise<KvClient> {
  const id = clientIds(ctx.seed + 7, index + 1)[index] ?? BigInt(index + 1);
  const client = makeClient(ctx, name, id, TIMING);
  await client.learnCookie(ctx.recorder.now() + TIMING.giveUpMs);
  return client;
}

async function openConnection(ctx: ProbeContext, name: string): Promise<TracedConnection> {
  const opened = await ctx.recorder.connect(name, ctx.endpoint(name), 3000);
  if ("error" in opened) throw new Error(`probe could not connect as ${name}: ${opened.error}`);
  return opened;
}

/** A call built by hand: any header, any credential, for the wire probe. */
function handCall(
  xid: number,
  call: KvCall,
  overrides: Partial<CallMessage> & { sentCred?: SentCredential } = {},
): TracedCall {
  const { sentCred, ...message } = overrides;
  return {
    message: {
      xid,
      prog: KV_PROG,
      vers: KV_V1,
      proc: KV_PROCS[call.proc],
      args: encodeKvArgs(call),
      ...message,
    },
    decodeAs: { program: kvProgram, proc: call.proc },
    meta: { kind: "first", cred: sentCred ?? { flavor: "AUTH_NONE" } },
  };
}

function amoCred(client: KvClient, cookie: bigint, ackedXid: number) {
  const sentCred: SentCredential = {
    flavor: "AUTH_AMO",
    clientId: client.options.clientId.toString(),
    cookie: cookie.toString(),
    ackedXid,
  };
  const cred = {
    flavor: AUTH_AMO,
    body: encodeAmoCred({ clientId: client.options.clientId, cookie, ackedXid }),
  };
  return { cred, sentCred };
}

/** A credential sent as given (flavor number and body), traced as raw bytes. */
function rawCred(flavor: number, body: Buffer) {
  const sentCred: SentCredential = {
    flavor: "raw",
    flavorNumber: flavor,
    bodyHex: body.toString("hex"),
  };
  return { cred: { flavor, body }, sentCred };
}

/** Part A semantics: key grammar, `/`, error precedence, LIST order, SET never creates. */
async function semanticsProbe(ctx: ProbeContext): Promise<void> {
  const client = await readyClient(ctx, "c1", 0);
  const long = `/${"k".repeat(511)}`;
  const script: KvCall[] = [
    { proc: "GET", key: "/" },
    { proc: "CREATE", key: "/", val: "x" },
    { proc: "SET", key: "/", val: "x" },
    { proc: "REMOVE", key: "/" },
    { proc: "CREATE", key: "/s", val: "top" },
    { proc: "CREATE", key: "/s/a/b", val: "orphan" },
    { proc: "SET", key: "/s/none", val: "never created" },
    { proc: "GET", key: "/s/none" },
    ...["b", "B", "a", "_", "0", "Z", "ab"].map(
      (name): KvCall => ({ proc: "CREATE", key: `/s/${name}`, val: `v${name}` }),
    ),
    { proc: "LIST", key: "/s" },
    { proc: "LIST", key: "/s/a" },
    { proc: "REMOVE", key: "/s" },
    { proc: "CREATE", key: "/s/a", val: "again" },
    { proc: "SET", key: "/s/a", val: "changed" },
    { proc: "GET", key: "/s/a" },
    { proc: "REMOVE", key: "/s/b" },
    { proc: "REMOVE", key: "/s/b" },
    { proc: "GET", key: "/s/b" },
    { proc: "CREATE", key: long, val: "longest key" },
    { proc: "GET", key: long },
    { proc: "GET", key: `${long}k` },
    { proc: "REMOVE", key: `${long}k` },
    { proc: "LIST", key: `${long}k` },
    ...["", "s", "/s/", "//s", "/s//a", "/s/a-b", "/s/a b", "/s/a.b", "/s/\u00e9"].flatMap(
      (key): KvCall[] => [
        { proc: "CREATE", key, val: "bad" },
        { proc: "GET", key },
        { proc: "LIST", key },
      ],
    ),
    { proc: "CREATE", key: "/s/a", val: "exists: KV_KEY_EXISTS before KV_NO_PARENT" },
    { proc: "CREATE", key: "/nope/x", val: "no parent" },
    { proc: "REMOVE", key: "/nope" },
    { proc: "LIST", key: "/" },
    { proc: "GET", key: "/s" },
  ];
  note(ctx, "semantics", "begin");
  for (const call of script) await client.perform(call);
  note(ctx, "semantics", "end");
  client.close();
}

/** Every wire rule: replies per RFC 5531, credential order, fragments, pipelining. */
async function wireProbe(ctx: ProbeContext): Promise<void> {
  const client = await readyClient(ctx, "c1", 0);
  const cookie = client.cookie ?? 1n;
  const conn = await openConnection(ctx, "c1");
  const send = async (traced: TracedCall, step: string) => {
    note(ctx, "wire", step, { conn: conn.id, xid: traced.message.xid });
    await conn.call(traced, REPLY_WAIT_MS);
  };
  let xid = 1000;
  const amo = (acked = 0) => amoCred(client, cookie, acked);
  await send(handCall(xid++, { proc: "NULL" }), "null");
  await send(handCall(xid++, { proc: "GET", key: "/" }, { prog: KV_PROG + 1 }), "wrong program");
  await send(handCall(xid++, { proc: "GET", key: "/" }, { vers: 2 }), "wrong version");
  await send(handCall(xid++, { proc: "GET", key: "/" }, { proc: 7 }), "unknown procedure");
  const garbage = handCall(xid++, { proc: "CREATE", key: "/w", val: "x" });
  garbage.message.args = Buffer.from([0, 0, 0x10, 0, 0x2f]);
  garbage.meta.deviation = "garbage-args";
  await send(garbage, "garbage arguments");
  const getRootWith = (cred: ReturnType<typeof rawCred>) =>
    handCall(xid++, { proc: "GET", key: "/" }, cred);
  await send(getRootWith(rawCred(7, Buffer.alloc(8))), "unknown credential flavor");
  await send(getRootWith(rawCred(AUTH_AMO, Buffer.alloc(16))), "AUTH_AMO body of 16 bytes");
  const sys = Buffer.from("0000000000000004686f737400000000000000000000000000000000", "hex");
  await send(getRootWith(rawCred(AUTH_SYS, sys)), "AUTH_SYS call");
  // Stale cookies: rejected before the program is even looked at; NULL and BOOT still answer.
  const stale = amoCred(client, cookie + 1n, 0);
  await send(handCall(xid++, { proc: "GET", key: "/" }, stale), "stale cookie");
  await send(
    handCall(xid++, { proc: "GET", key: "/" }, { ...stale, prog: KV_PROG + 1 }),
    "stale cookie and wrong program",
  );
  const zero = amoCred(client, 0n, 0);
  await send(handCall(xid++, { proc: "GET", key: "/" }, zero), "cookie 0");
  await send(handCall(xid++, { proc: "NULL" }, stale), "NULL with stale cookie");
  await send(handCall(xid++, { proc: "BOOT" }, stale), "BOOT with stale cookie");
  // Watermark: raise it to 5000, then a never-used xid below it must get SYSTEM_ERR.
  await send(handCall(5001, { proc: "GET", key: "/" }, amo(5000)), "raise watermark");
  await send(
    handCall(4990, { proc: "GET", key: "/" }, amo(5000)),
    "never-used xid below watermark",
  );
  xid = 6000;
  // Records in fragments, and byte by byte.
  await send(handCall(xid++, { proc: "CREATE", key: "/frag", val: "root" }, amo(5000)), "create");
  const fragmented = handCall(xid++, { proc: "SET", key: "/frag", val: "split" }, amo(5000));
  const payload = encodeCall(fragmented.message);
  fragmented.fragmentSizes = [8, 12, payload.length - 20];
  await send(fragmented, "multi-fragment record");
  const bytewise = handCall(xid++, { proc: "GET", key: "/frag" }, amo(5000));
  const bytes = encodeRecord(encodeCall(bytewise.message));
  conn.record(bytewise);
  note(ctx, "wire", "record sent one byte at a time", { conn: conn.id, xid: bytewise.message.xid });
  for (const byte of bytes) {
    conn.rpc.sendRaw(Uint8Array.of(byte));
    await sleep(1);
  }
  await sleep(500);
  // Pipelining: twenty calls in one write; replies in any order.
  note(ctx, "wire", "pipelined calls", { conn: conn.id });
  const batch: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    const call = handCall(xid++, { proc: "CREATE", key: `/pipe${i}`, val: `p${i}` }, amo(5000));
    conn.record(call);
    batch.push(encodeRecord(encodeCall(call.message)));
  }
  conn.rpc.sendRaw(Buffer.concat(batch));
  await sleep(1500);
  // A record that is not a CALL gets no reply; the connection may close, others keep working.
  const notCall = handCall(xid++, { proc: "NULL" });
  notCall.meta.deviation = "not-a-call";
  const asReply = encodeCall(notCall.message);
  asReply.writeUInt32BE(1, 4);
  conn.record(notCall);
  note(ctx, "wire", "record that is a REPLY, not a CALL", { conn: conn.id });
  conn.rpc.send(asReply);
  await sleep(500);
  const after = await openConnection(ctx, "c1");
  await after.call(handCall(xid++, { proc: "GET", key: "/frag" }, amo(5000)), REPLY_WAIT_MS);
  note(ctx, "wire", "end");
  conn.destroy();
  after.destroy();
  client.close();
}

/** Crash right after acknowledged writes: they survive; the old cookie is refused. */
async function crashAfterAckProbe(ctx: ProbeContext): Promise<void> {
  const client = await readyClient(ctx, "c1", 0);
  await client.perform({ proc: "CREATE", key: "/dur", val: "root" });
  for (let round = 0; round < 3; round++) {
    const key = `/dur/k${round}`;
    await client.perform({ proc: "CREATE", key, val: `created ${round}` });
    await client.perform({ proc: "SET", key, val: `set ${round}` });
    const lastWrite = client.completed.at(-1);
    note(ctx, "crash-after-ack", "kill", { round });
    await ctx.runtime.kill(ctx.node);
    await ctx.runtime.restart(ctx.node);
    note(ctx, "crash-after-ack", "restarted", { round });
    // The lost-reply retransmission of a call from before the crash, with the old cookie.
    if (lastWrite) {
      await client.resend(lastWrite, true);
      await sleep(300);
    }
    const created = client.completed.at(-2);
    if (created) {
      await client.resend(created, true);
      await sleep(300);
    }
    await client.learnCookie(ctx.recorder.now() + TIMING.giveUpMs);
    await client.perform({ proc: "GET", key });
    await client.perform({ proc: "LIST", key: "/dur" });
  }
  client.close();
}

/** Re-sent completed calls: at once, late, on a new connection; never executed twice. */
async function duplicatesProbe(ctx: ProbeContext): Promise<void> {
  const client = await readyClient(ctx, "c1", 0);
  const last = () => client.completed.at(-1);
  await client.perform({ proc: "CREATE", key: "/dup", val: "root" });
  await client.perform({ proc: "CREATE", key: "/dup/a", val: "a1" });
  const createA = last();
  note(ctx, "duplicates", "resend at once, same connection");
  if (createA) await client.resend(createA, false);
  await sleep(300);
  await client.perform({ proc: "CREATE", key: "/dup/b", val: "b1" });
  const createB = last();
  await client.perform({ proc: "SET", key: "/dup/a", val: "a2" });
  await client.perform({ proc: "GET", key: "/dup/a" });
  note(ctx, "duplicates", "late duplicate after later calls completed");
  if (createB) await client.resend(createB, false);
  await sleep(300);
  note(ctx, "duplicates", "duplicate on a new connection");
  if (createA) await client.resend(createA, true);
  await sleep(300);
  await client.perform({ proc: "REMOVE", key: "/dup/b" });
  const removeB = last();
  await client.perform({ proc: "CREATE", key: "/dup/b", val: "b2" });
  note(ctx, "duplicates", "late REMOVE duplicate on a new connection");
  if (removeB) await client.resend(removeB, true);
  await sleep(300);
  for (const key of ["/dup/a", "/dup/b"]) await client.perform({ proc: "GET", key });
  await client.perform({ proc: "LIST", key: "/dup" });
  client.close();
}

/** The same call on two connections at once: executed once, both answers agree. */
async function twoConnectionsProbe(ctx: ProbeContext): Promise<void> {
  const client = await readyClient(ctx, "c1", 0);
  await client.perform({ proc: "CREATE", key: "/twin", val: "root" });
  const first = await openConnection(ctx, "c1");
  const second = await openConnection(ctx, "c1");
  for (let i = 0; i < 20; i++) {
    const op = ctx.recorder.nextOp();
    const call: KvCall = { proc: "CREATE", key: `/twin/k${i}`, val: `twin ${i}` };
    ctx.recorder.emit({ type: "op.invoke", t: ctx.recorder.now(), op, client: "c1", call });
    const traced = handCall(client.takeXid(), call, amoCred(client, client.cookie ?? 1n, 0));
    traced.meta.op = op;
    const [a, b] = await Promise.all([
      first.call(traced, REPLY_WAIT_MS),
      second.call({ ...traced, meta: { ...traced.meta, kind: "retransmit" } }, REPLY_WAIT_MS),
    ]);
    const answered = [a, b].find((reply) => reply.kind === "reply");
    const t = ctx.recorder.now();
    if (answered?.kind === "reply" && answered.outcome.kind === "success")
      ctx.recorder.emit({ type: "op.ok", t, op, outcome: answered.outcome });
    else
      ctx.recorder.emit({
        type: "op.info",
        t,
        op,
        reason: "no SUCCESS reply on either connection",
      });
    await client.perform({ proc: "GET", key: `/twin/k${i}` });
  }
  first.destroy();
  second.destroy();
  client.close();
}

/** Clients whose xids collide: the cache is keyed by client id, not by xid alone. */
async function xidCollisionProbe(ctx: ProbeContext): Promise<void> {
  const clients = await Promise.all(
    [0, 1, 2, 3].map((index) => readyClient(ctx, `c${index + 1}`, index)),
  );
  await clients[0]?.perform({ proc: "CREATE", key: "/xid", val: "root" });
  for (const client of clients.slice(1)) client.takeXid(); // every client's next xid is 2
  for (let round = 0; round < 5; round++) {
    await Promise.all(
      clients.map((client) =>
        client.perform({
          proc: "CREATE",
          key: `/xid/${client.options.name}_${round}`,
          val: `${client.options.name} ${round}`,
        }),
      ),
    );
  }
  for (const client of clients) await client.perform({ proc: "LIST", key: "/xid" });
  for (const client of clients) client.close();
}

/** A connection stalled mid-record and one that never reads must not delay the others. */
async function stallProbe(ctx: ProbeContext): Promise<void> {
  const client = await readyClient(ctx, "c1", 0);
  await client.perform({ proc: "CREATE", key: "/stall", val: "x".repeat(64 * 1024) });
  const endpoint = ctx.endpoint("c2");
  const staller = connect({ host: endpoint.host, port: endpoint.port });
  const nonReader = connect({ host: endpoint.host, port: endpoint.port });
  staller.on("error", () => undefined);
  nonReader.on("error", () => undefined);
  await Promise.all(
    [staller, nonReader].map(
      (socket) => new Promise<void>((resolve) => socket.once("connect", () => resolve())),
    ),
  );
  nonReader.pause();
  // Half a record: its header promises 1000 bytes, 12 arrive.
  staller.write(Buffer.concat([encodeFragmentHeader(1000, true), Buffer.alloc(12, 1)]));
  // Calls whose 64 KiB replies nobody reads, until the server's writes would block.
  const big: Buffer[] = [];
  for (let i = 0; i < 64; i++) {
    const call = handCall(900_000 + i, { proc: "GET", key: "/stall" });
    big.push(encodeRecord(encodeCall(call.message)));
  }
  nonReader.write(Buffer.concat(big));
  note(ctx, "stall", "begin", { conn: -1, detail: "one connection mid-record, one not reading" });
  for (let i = 0; i < 20; i++) {
    await client.perform({ proc: "SET", key: "/stall", val: `short ${i}` });
    await client.perform({ proc: "GET", key: "/stall" });
  }
  note(ctx, "stall", "end", { conn: -1 });
  staller.destroy();
  nonReader.destroy();
  client.close();
}

/** 10,000 calls with 64 KiB replies, acknowledged within 16 calls: memory stays bounded. */
async function memoryProbe(ctx: ProbeContext): Promise<void> {
  const clients = await Promise.all(
    [0, 1, 2, 3].map((index) => readyClient(ctx, `c${index + 1}`, index)),
  );
  const writer = clients[0];
  if (!writer) return;
  await writer.perform({ proc: "CREATE", key: "/mem", val: "m".repeat(64 * 1024) });
  const perClient = Math.round(2500 * Math.min(1, Math.max(0.2, ctx.timeScale)));
  const warmUp = 100;
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < warmUp; i++) await client.perform({ proc: "GET", key: "/mem" });
    }),
  );
  await ctx.runtime.sampleMemory(ctx.node);
  note(ctx, "memory", "baseline", { node: ctx.node, calls: perClient * clients.length });
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < perClient && !ctx.signal.aborted; i++)
        await client.perform({ proc: "GET", key: "/mem" });
    }),
  );
  await ctx.runtime.sampleMemory(ctx.node);
  note(ctx, "memory", "end", { node: ctx.node });
  for (const client of clients) client.close();
}

export const RPC_PROBES: Record<string, (ctx: ProbeContext) => Promise<void>> = {
  semantics: semanticsProbe,
  wire: wireProbe,
  "crash-after-ack": crashAfterAckProbe,
  duplicates: duplicatesProbe,
  "two-connections": twoConnectionsProbe,
  "xid-collision": xidCollisionProbe,
  stall: stallProbe,
  memory: memoryProbe,
};
