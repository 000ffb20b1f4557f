/**
 * Lab 1's sliced-streams scenario writes every fourth call in two parts, cut inside its
 * arguments: a server that takes one read() for one record answers the first part, so the
 * scenario catches bug-one-read-one-record whatever the seed's slices and the runtime's
 * timing do. Before, it caught it on about 7 seeds in 20 (seed 1 passed).
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { KV_BOOT_CALL, kvProgram } from "../src/kv/kv-program.ts";
import { decodeCall } from "../src/rpc/message.ts";
import { encodeRecord, RecordDecoder } from "../src/rpc/record.ts";
import { AmoClient } from "../src/workload/amo-client.ts";
import { RpcRecorder } from "../src/workload/traced-connection.ts";
import { explain, fixtureRunner } from "./support/e2e.ts";

const run = fixtureRunner("rpc");

describe("split writes", () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it("every n-th call with arguments reaches the server in two reads, cut inside them", async () => {
    const reads: Array<{ at: number; bytes: Buffer }> = [];
    server = createServer((socket) =>
      socket.on("data", (bytes) => reads.push({ at: performance.now(), bytes })),
    );
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const pauseMs = 40;
    const client = splittingClient(port, 2, pauseMs);
    // Nobody answers: each call is one transmission, given up after giveUpMs.
    await client.perform({ proc: "GET", key: "/whole" }, "none");
    await client.perform({ proc: "GET", key: "/split" }, "none");
    client.close();

    const whole = reads.filter((read) => read.bytes.includes("/whole"));
    expect(whole).toHaveLength(1);
    const secondCall = reads.slice(reads.indexOf(whole[0] as (typeof reads)[0]) + 1);
    expect(secondCall).toHaveLength(2);
    const [head, tail] = secondCall as [(typeof reads)[0], (typeof reads)[0]];
    expect(tail.at - head.at).toBeGreaterThanOrEqual(pauseMs - 5);
    // The arguments (the key as an XDR string: length 6, "/split", 2 bytes of padding) are
    // cut halfway: the head ends with the length and "/s".
    expect(head.bytes.subarray(-6)).toEqual(Buffer.from([0, 0, 0, 6, ...Buffer.from("/s")]));
    expect(Buffer.concat([head.bytes, tail.bytes]).includes("/split")).toBe(true);
  });
});

describe("a server that answers the first part of a split record", () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it("never finds the client's next record inside the unfinished one", async () => {
    const chunks: Buffer[] = [];
    server = createServer((socket) =>
      socket.on("data", (bytes) => {
        // As bug-one-read-one-record does: the first read is a call, answered GARBAGE_ARGS.
        if (chunks.length === 0) {
          const reply = Buffer.alloc(24);
          reply.writeUInt32BE(bytes.readUInt32BE(4), 0);
          reply.writeUInt32BE(1, 4); // REPLY; MSG_ACCEPTED, AUTH_NONE verifier: zeros
          reply.writeUInt32BE(4, 20); // GARBAGE_ARGS
          socket.write(encodeRecord(reply));
        }
        chunks.push(bytes);
      }),
    );
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const client = splittingClient(port, 1, 40);
    const answered = await client.perform({ proc: "GET", key: "/one" }, "none");
    expect(answered.outcome).toMatchObject({ kind: "accepted-error", stat: "GARBAGE_ARGS" });
    await client.perform({ proc: "GET", key: "/two" }, "none");
    client.close();

    const { records, error } = new RecordDecoder().push(Buffer.concat(chunks));
    expect(error).toBeUndefined();
    const keys = records.map((record) => {
      const call = decodeCall(record.payload);
      return call.ok ? call.value.args.subarray(4, 8).toString() : call.error;
    });
    expect(keys).toEqual(["/one", "/two"]);
  });
});

describe("sliced-streams on a server that takes one read for one record", () => {
  it("fails wire conformance on seed 1, which it passed before", async () => {
    const summary = await run("bug-one-read-one-record", ["sliced-streams"], 1);
    const result = summary.results[0];
    expect(result?.verdict, explain(summary.results)).toBe("fail");
    const wire = result?.checks.find((check) => check.property === "wire-conformance");
    expect(wire?.verdict).toBe("fail");
    expect(wire?.evidence[0]?.message).toMatch(/must get SUCCESS .* but got GARBAGE_ARGS/);
  });
});

/** A lab 1 client to port that writes every `every`-th call in two parts pauseMs apart. */
function splittingClient(port: number, every: number, pauseMs: number): AmoClient {
  const started = performance.now();
  const recorder = new RpcRecorder(
    () => undefined,
    () => performance.now() - started,
  );
  return new AmoClient(recorder, {
    program: kvProgram,
    boot: KV_BOOT_CALL,
    name: "c1",
    clientId: 0n,
    endpoint: { link: "c1-n1", host: "127.0.0.1", port },
    retransmitMs: 200,
    giveUpMs: 100,
    ackEvery: 1,
    newConnectionEvery: 3,
    signal: new AbortController().signal,
    splitWrites: { every, pauseMs },
  });
}
