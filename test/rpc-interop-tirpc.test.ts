/**
 * Interop with rpcgen + libtirpc: labs/rpc/kv.x compiled by rpcgen into a small C server
 * (test/interop/kv_server.c), driven by RpcConnection and kv-codec. The C client
 * (test/interop/kv_client.c) reads back what the TypeScript client wrote.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeKvArgs, replyOutcome } from "../src/kv/kv-codec.ts";
import { KV_PROCS, KV_PROG, KV_V1, type KvCall, type KvResult } from "../src/kv/kv-types.ts";
import { AUTH_AMO, encodeAmoCred } from "../src/rpc/amo-credential.ts";
import type { CallOptions, RpcConnection } from "../src/rpc/connection.ts";
import { type CallMessage, encodeCall } from "../src/rpc/message.ts";
import type { ReplyOutcome } from "../src/rpc/reply-outcome.ts";
import {
  openConnection,
  replyOf,
  type StartedProcess,
  startProcess,
  stopProcess,
} from "./interop/harness.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..");
const INTEROP = join(ROOT, "test", "interop");
const TIMEOUT: CallOptions = { timeoutMs: 5000 };

let dir: string;
let server: StartedProcess & { ready: number };
let connection: RpcConnection;
let xid = 1;

/** rpcgen's header, XDR routines, server dispatcher (-m: no main) and client stubs. */
async function generate(): Promise<void> {
  await copyFile(join(ROOT, "labs", "rpc", "kv.x"), join(dir, "kv.x"));
  for (const [flag, out] of [
    ["-h", "kv.h"],
    ["-c", "kv_xdr.c"],
    ["-m", "kv_svc.c"],
    ["-l", "kv_clnt.c"],
  ] as const) {
    await run("rpcgen", [flag, "kv.x", "-o", out], { cwd: dir, timeout: 30_000 });
  }
}

async function compile(output: string, sources: string[]): Promise<void> {
  const args = [
    "-std=gnu11",
    "-I/usr/include/tirpc",
    `-I${dir}`,
    "-o",
    output,
    ...sources,
    "-ltirpc",
  ];
  await run("gcc", args, { cwd: dir, timeout: 60_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dslab-tirpc-"));
  await generate();
  await compile("kv_server", [join(INTEROP, "kv_server.c"), "kv_svc.c", "kv_xdr.c"]);
  await compile("kv_client", [join(INTEROP, "kv_client.c"), "kv_clnt.c", "kv_xdr.c"]);
  server = await startProcess(join(dir, "kv_server"), [], (output) => {
    const port = /PORT (\d+)/.exec(output)?.[1];
    return port === undefined ? undefined : Number(port);
  });
}, 120_000);

// A connection per test, so one that the server closes cannot fail the tests after it.
beforeEach(async () => {
  connection = await openConnection(server.ready);
});

afterEach(() => connection.destroy());

afterAll(async () => {
  if (server !== undefined) await stopProcess(server.child);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function kvMessage(call: KvCall, overrides: Partial<CallMessage> = {}): CallMessage {
  return {
    xid: xid++,
    prog: KV_PROG,
    vers: KV_V1,
    proc: KV_PROCS[call.proc],
    args: encodeKvArgs(call),
    ...overrides,
  };
}

async function kv(call: KvCall, overrides: Partial<CallMessage> = {}): Promise<ReplyOutcome> {
  return replyOutcome(
    call.proc,
    replyOf(await connection.call(kvMessage(call, overrides), TIMEOUT)),
  );
}

function success(result: KvResult): ReplyOutcome {
  return { kind: "success", result, verifierFlavor: 0 };
}

describe("interop with an rpcgen + libtirpc server", () => {
  it("decodes every procedure's results", async () => {
    expect(await kv({ proc: "NULL" })).toEqual(success({ proc: "NULL" }));
    expect(await kv({ proc: "BOOT" })).toEqual(
      success({ proc: "BOOT", cookie: 0x0102030405060708n.toString() }),
    );
    const create = { proc: "CREATE", key: "/a", val: "hi" } as const;
    expect(await kv(create)).toEqual(success({ proc: "CREATE", status: "KV_OK" }));
    expect(await kv(create)).toEqual(success({ proc: "CREATE", status: "KV_KEY_EXISTS" }));
    expect(await kv({ proc: "GET", key: "/a" })).toEqual(
      success({ proc: "GET", status: "KV_OK", val: "hi" }),
    );
    expect(await kv({ proc: "SET", key: "/a", val: "there!" })).toEqual(
      success({ proc: "SET", status: "KV_OK" }),
    );
    expect(await kv({ proc: "GET", key: "/a" })).toEqual(
      success({ proc: "GET", status: "KV_OK", val: "there!" }),
    );
    expect(await kv({ proc: "SET", key: "/zz", val: "" })).toEqual(
      success({ proc: "SET", status: "KV_KEY_NOT_FOUND" }),
    );
    expect(await kv({ proc: "GET", key: "/zz" })).toEqual(
      success({ proc: "GET", status: "KV_KEY_NOT_FOUND" }),
    );
    expect(await kv({ proc: "LIST", key: "/" })).toEqual(
      success({ proc: "LIST", status: "KV_OK", children: ["alpha", "beta"] }),
    );
    expect(await kv({ proc: "LIST", key: "/leaf" })).toEqual(
      success({ proc: "LIST", status: "KV_OK", children: [] }),
    );
    expect(await kv({ proc: "LIST", key: "/x" })).toEqual(
      success({ proc: "LIST", status: "KV_MALFORMED_KEY" }),
    );
    expect(await kv({ proc: "REMOVE", key: "/a" })).toEqual(
      success({ proc: "REMOVE", status: "KV_OK" }),
    );
    expect(await kv({ proc: "REMOVE", key: "/a" })).toEqual(
      success({ proc: "REMOVE", status: "KV_KEY_NOT_FOUND" }),
    );
  });

  it("answers 60 pipelined calls, each matched to its own reply", async () => {
    const calls: KvCall[] = [];
    for (let i = 0; i < 20; i++) {
      calls.push(
        { proc: "CREATE", key: `/p${i}`, val: `v${i}` },
        { proc: "GET", key: `/p${i}` },
        { proc: "BOOT" },
      );
    }
    const messages = calls.map((call) => kvMessage(call));
    const results = await Promise.all(messages.map((message) => connection.call(message, TIMEOUT)));
    results.forEach((result, i) => {
      const reply = replyOf(result);
      expect(reply.xid).toBe(messages[i]?.xid);
      const call = calls[i] as KvCall;
      const outcome = replyOutcome(call.proc, reply);
      expect(outcome.kind).toBe("success");
      if (call.proc === "GET")
        expect(outcome).toMatchObject({ result: { val: call.key.replace("/p", "v") } });
    });
  });

  // Non-empty fragments: libtirpc (xdr_rec.c) drops a connection on a zero-length non-last one.
  it("reassembles a call we split into three fragments", async () => {
    const message = kvMessage({ proc: "GET", key: "/p3" });
    const length = encodeCall(message).length;
    const result = await connection.call(message, {
      ...TIMEOUT,
      fragmentSizes: [5, 20, length - 25],
    });
    expect(replyOutcome("GET", replyOf(result))).toEqual(
      success({ proc: "GET", status: "KV_OK", val: "v3" }),
    );
  });

  it("answers garbage arguments with GARBAGE_ARGS", async () => {
    const garbage = Buffer.from("00000064", "hex"); // a key claiming 100 bytes, none follow
    expect(await kv({ proc: "CREATE", key: "/", val: "" }, { args: garbage })).toEqual({
      kind: "accepted-error",
      stat: "GARBAGE_ARGS",
      verifierFlavor: 0,
    });
  });

  it("answers an unknown procedure with PROC_UNAVAIL", async () => {
    expect(await kv({ proc: "NULL" }, { proc: 99 })).toMatchObject({
      kind: "accepted-error",
      stat: "PROC_UNAVAIL",
    });
  });

  it("answers a wrong version with PROG_MISMATCH 1..1 and a wrong program with PROG_UNAVAIL", async () => {
    expect(await kv({ proc: "NULL" }, { vers: 2 })).toEqual({
      kind: "accepted-error",
      stat: "PROG_MISMATCH",
      verifierFlavor: 0,
      mismatch: { low: 1, high: 1 },
    });
    expect(await kv({ proc: "NULL" }, { prog: KV_PROG + 1 })).toMatchObject({
      stat: "PROG_UNAVAIL",
    });
  });

  it("denies the AUTH_AMO flavor it does not know (MSG_DENIED, AUTH_ERROR)", async () => {
    const cred = {
      flavor: AUTH_AMO,
      body: encodeAmoCred({ clientId: 1n, cookie: 2n, ackedXid: 0 }),
    };
    expect(await kv({ proc: "NULL" }, { cred })).toEqual({
      kind: "auth-error",
      stat: "AUTH_REJECTEDCRED",
    });
  });

  it("lets rpcgen's C client read what the TypeScript client wrote", async () => {
    expect(await kv({ proc: "CREATE", key: "/c", val: "from-ts" })).toMatchObject({
      kind: "success",
    });
    const { stdout } = await run(join(dir, "kv_client"), [String(server.ready), "/c"], {
      timeout: 10_000,
    });
    expect(stdout.trim()).toBe("boot=0102030405060708 get=0:from-ts");
  });
});
