import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CallResult,
  type CloseEvent,
  type ReplyEvent,
  RpcConnection,
} from "../src/rpc/connection.ts";
import { type DecodedCall, decodeCall, encodeCall } from "../src/rpc/message.ts";
import { encodeFragmentHeader, encodeRecord, RecordDecoder } from "../src/rpc/record.ts";

/** A SUCCESS reply whose result is one unsigned int. */
function successReply(xid: number, value: number): Buffer {
  const body = Buffer.alloc(28);
  body.writeUInt32BE(xid, 0);
  body.writeUInt32BE(1, 4); // REPLY
  body.writeUInt32BE(value, 24);
  return encodeRecord(body);
}

interface FakeServer {
  port: number;
  /** Every CALL the server received, in order. */
  calls: DecodedCall[];
  /** Every byte the server received. */
  received: Buffer[];
}

const servers: Server[] = [];
const serverSockets: Socket[] = [];
const connections: RpcConnection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy();
  for (const socket of serverSockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((r) => server.close(r))));
});

/** A loopback server that decodes CALLs and hands each to `onCall` with its socket. */
async function fakeServer(
  onCall: (call: DecodedCall, socket: Socket) => void,
): Promise<FakeServer> {
  const state: Omit<FakeServer, "port"> = { calls: [], received: [] };
  const server = createServer((socket) => {
    serverSockets.push(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    const decoder = new RecordDecoder();
    socket.on("data", (chunk: Buffer) => {
      state.received.push(chunk);
      for (const record of decoder.push(chunk).records) {
        const call = decodeCall(record.payload);
        if (!call.ok) continue;
        state.calls.push(call.value);
        onCall(call.value, socket);
      }
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return { port: address.port, ...state };
}

async function connectTo(port: number): Promise<RpcConnection> {
  const result = await RpcConnection.open({ host: "127.0.0.1", port, connectTimeoutMs: 2000 });
  if (!result.ok) throw new Error(result.error);
  connections.push(result.connection);
  return result.connection;
}

const nullCall = (xid: number) => ({ xid, prog: 0x40048086, vers: 1, proc: 0 });

function replyValue(result: CallResult): number | string {
  if (result.kind !== "reply") return result.kind;
  const decoded = result.reply.decoded;
  if (!decoded.ok || decoded.value.replyStat !== "MSG_ACCEPTED") return "bad reply";
  const accepted = decoded.value.accepted;
  return accepted.stat === "SUCCESS" ? accepted.results.readUInt32BE(0) : accepted.stat;
}

describe("RpcConnection", () => {
  it("pipelines calls and matches replies by xid in any order", async () => {
    const pending: DecodedCall[] = [];
    const server = await fakeServer((call, socket) => {
      pending.push(call);
      if (pending.length < 3) return;
      // Answer in reverse order, then once more for xid 11 (a duplicate) and for xid 99 (unsolicited).
      for (const c of pending.reverse()) socket.write(successReply(c.xid, c.xid * 10));
      socket.write(Buffer.concat([successReply(11, 0), successReply(99, 0)]));
    });
    const connection = await connectTo(server.port);
    const events: ReplyEvent[] = [];
    connection.onReply((event) => events.push(event));
    const results = await Promise.all(
      [10, 11, 12].map((xid) => connection.call(nullCall(xid), { timeoutMs: 5000 })),
    );
    expect(results.map(replyValue)).toEqual([100, 110, 120]);
    expect(server.calls.map((c) => c.xid)).toEqual([10, 11, 12]);
    await expect.poll(() => events.length).toBe(5);
    expect(events.map((e) => [e.xid, e.awaited])).toEqual([
      [12, true],
      [11, true],
      [10, true],
      [11, false],
      [99, false],
    ]);
    expect(events[0]?.record.wireBytes).toBe(32);
    expect(events.every((e) => typeof e.at === "number")).toBe(true);
  });

  it("keeps reading with no call outstanding and reassembles slow multi-fragment replies", async () => {
    const server = await fakeServer(() => {});
    const connection = await connectTo(server.port);
    const events: ReplyEvent[] = [];
    connection.onReply((event) => events.push(event));
    await expect.poll(() => serverSockets.length).toBe(1);
    const body = successReply(5, 77).subarray(4);
    const wire = encodeRecord(body, [3, 10, 15]);
    for (let i = 0; i < wire.length; i += 5) {
      serverSockets[0]?.write(wire.subarray(i, i + 5));
      await sleep(5);
    }
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toMatchObject({ xid: 5, awaited: false, record: { fragments: 3 } });
    expect(events[0]?.decoded.ok).toBe(true);
  });

  it("sends records in fragments and raw bytes as given", async () => {
    const server = await fakeServer(() => {});
    const connection = await connectTo(server.port);
    const call = encodeCall(nullCall(3));
    expect(connection.send(call, [8, call.length - 8]).ok).toBe(true);
    expect(connection.sendRaw(Buffer.from("garbage")).ok).toBe(true);
    await expect.poll(() => Buffer.concat(server.received).length).toBe(call.length + 8 + 7);
    expect(server.calls.map((c) => c.xid)).toEqual([3]);
    expect(Buffer.concat(server.received).subarray(-7).toString()).toBe("garbage");
  });

  it("times out a call to a silent server, and still records a late reply", async () => {
    const server = await fakeServer(() => {});
    const connection = await connectTo(server.port);
    const events: ReplyEvent[] = [];
    connection.onReply((event) => events.push(event));
    const result = await connection.call(nullCall(1), { timeoutMs: 50 });
    expect(result.kind).toBe("timeout");
    if (result.kind === "timeout") expect(result.at).toBeGreaterThanOrEqual(result.sentAt);
    serverSockets[0]?.write(successReply(1, 1));
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]?.awaited).toBe(false);
  });

  it("reports undecodable replies as values and keeps going", async () => {
    const server = await fakeServer((call, socket) => {
      socket.write(encodeRecord(Buffer.from("00000001 00000000".replace(/ /g, ""), "hex")));
      socket.write(successReply(call.xid, 1));
    });
    const connection = await connectTo(server.port);
    const events: ReplyEvent[] = [];
    connection.onReply((event) => events.push(event));
    const result = await connection.call(nullCall(2), { timeoutMs: 5000 });
    expect(replyValue(result)).toBe(1);
    expect(events[0]?.decoded).toMatchObject({ ok: false, xid: 1 });
    expect(events[0]?.decoded.ok === false && events[0].decoded.error).toMatch(/CALL, not a REPLY/);
  });

  it("closes with a protocol error on a 2 GiB record length and fails pending calls", async () => {
    const server = await fakeServer((_call, socket) => {
      socket.write(Buffer.concat([encodeFragmentHeader(0x7fffffff, true), Buffer.alloc(64)]));
    });
    const connection = await connectTo(server.port);
    const result = await connection.call(nullCall(1), { timeoutMs: 5000 });
    expect(result.kind).toBe("closed");
    if (result.kind !== "closed") return;
    expect(result.close.reason).toMatchObject({ kind: "protocol-error" });
    expect(result.close.reason.kind === "protocol-error" && result.close.reason.message).toMatch(
      /declares 2147483647 bytes/,
    );
    await expect(connection.call(nullCall(2), { timeoutMs: 5000 })).resolves.toMatchObject({
      kind: "not-sent",
    });
  });

  it("reports the server closing, with the bytes of an unfinished reply", async () => {
    const server = await fakeServer((_call, socket) => {
      socket.end(successReply(1, 1).subarray(0, 10));
    });
    const connection = await connectTo(server.port);
    const closes: CloseEvent[] = [];
    connection.onClose((event) => closes.push(event));
    const result = await connection.call(nullCall(1), { timeoutMs: 5000 });
    expect(result).toMatchObject({
      kind: "closed",
      close: { reason: { kind: "remote-end" }, unfinishedRecordBytes: 10 },
    });
    expect(closes).toHaveLength(1);
    expect(connection.sendRaw(Buffer.from("x")).ok).toBe(false);
  });

  it("reports a reset", async () => {
    const server = await fakeServer((_call, socket) => socket.resetAndDestroy());
    const connection = await connectTo(server.port);
    const result = await connection.call(nullCall(1), { timeoutMs: 5000 });
    expect(result).toMatchObject({
      kind: "closed",
      close: { reason: { kind: "socket-error", code: "ECONNRESET" } },
    });
  });

  it("closes gracefully and reports a local close", async () => {
    const server = await fakeServer(() => {});
    const connection = await connectTo(server.port);
    await expect.poll(() => serverSockets.length).toBe(1);
    const serverEnded = once(serverSockets[0] as Socket, "end");
    serverSockets[0]?.on("end", () => serverSockets[0]?.end());
    const pending = connection.call(nullCall(1), { timeoutMs: 5000 });
    const close = await connection.close();
    await serverEnded;
    expect(close.reason).toEqual({ kind: "local-close" });
    expect(await pending).toMatchObject({ kind: "closed" });
    expect(connection.closed).toBe(true);
  });

  it("resolves a refused connection as a value", async () => {
    const server = await fakeServer(() => {});
    const port = server.port;
    await new Promise((r) => servers.pop()?.close(r));
    const result = await RpcConnection.open({ host: "127.0.0.1", port, connectTimeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, timedOut: false, code: "ECONNREFUSED" });
  });

  it("uses the clock it is given", async () => {
    const server = await fakeServer((call, socket) => socket.write(successReply(call.xid, 1)));
    let now = 1000;
    const opened = await RpcConnection.open({
      host: "127.0.0.1",
      port: server.port,
      clock: () => now++,
    });
    if (!opened.ok) throw new Error(opened.error);
    connections.push(opened.connection);
    const result = await opened.connection.call(nullCall(1), { timeoutMs: 5000 });
    expect(opened.at).toBe(1000);
    expect(result).toMatchObject({ kind: "reply", sentAt: 1001, reply: { at: 1002 } });
  });
});
