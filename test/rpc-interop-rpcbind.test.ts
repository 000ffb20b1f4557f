/**
 * Interop with an ONC RPC server nobody here wrote: Debian's rpcbind (package `rpcbind`),
 * started in the foreground on port 111 unless one already answers there.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RpcConnection } from "../src/rpc/connection.ts";
import { XdrReader, XdrWriter } from "../src/rpc/xdr.ts";
import {
  openConnection,
  replyOf,
  type StartedProcess,
  startProcess,
  stopProcess,
  successResults,
} from "./interop/harness.ts";

const RPCBIND = "/usr/sbin/rpcbind";
const PORT = 111;
const PMAP_PROG = 100000;
const IPPROTO_TCP = 6;
const TIMEOUT = { timeoutMs: 5000 };

let started: StartedProcess | undefined;
let connection: RpcConnection;
let xid = 1;

async function answersOnPort(): Promise<boolean> {
  try {
    (await openConnection(PORT)).destroy();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  if (!(await answersOnPort())) {
    if (!existsSync(RPCBIND))
      throw new Error(`${RPCBIND} is missing: install Debian package rpcbind`);
    // -f: stay in the foreground, so this test owns the process and stops it afterwards.
    started = await startProcess(RPCBIND, ["-f"], async () =>
      (await answersOnPort()) ? true : undefined,
    );
  }
  connection = await openConnection(PORT);
}, 20_000);

afterAll(async () => {
  connection?.destroy();
  if (started !== undefined) await stopProcess(started.child);
});

function pmapCall(vers: number, proc: number, args?: Buffer, prog = PMAP_PROG) {
  return connection.call({ xid: xid++, prog, vers, proc, args }, TIMEOUT);
}

interface Mapping {
  prog: number;
  vers: number;
  prot: number;
  port: number;
}

/** pmaplist (RFC 1833): a linked list written as "bool more; mapping" repeated. */
function decodePmapList(bytes: Buffer): Mapping[] {
  const reader = new XdrReader(bytes);
  const mappings: Mapping[] = [];
  while (reader.bool("pmaplist.more")) {
    mappings.push({
      prog: reader.uint("prog"),
      vers: reader.uint("vers"),
      prot: reader.uint("prot"),
      port: reader.uint("port"),
    });
  }
  reader.end("pmaplist");
  return mappings;
}

describe("interop with rpcbind", () => {
  it("answers PMAPPROC_NULL with an empty SUCCESS", async () => {
    const result = await pmapCall(2, 0);
    expect(successResults(result)).toHaveLength(0);
    expect(replyOf(result)).toMatchObject({ replyStat: "MSG_ACCEPTED", verf: { flavor: 0 } });
  });

  it("lists itself in PMAPPROC_DUMP", async () => {
    const mappings = decodePmapList(successResults(await pmapCall(2, 4)));
    expect(mappings).toContainEqual({ prog: PMAP_PROG, vers: 2, prot: IPPROTO_TCP, port: PORT });
  });

  it("gives its own TCP universal address in RPCBPROC_GETADDR", async () => {
    const rpcb = new XdrWriter()
      .uint(PMAP_PROG)
      .uint(3)
      .string("tcp")
      .string("")
      .string("")
      .toBuffer();
    const reader = new XdrReader(successResults(await pmapCall(3, 3, rpcb)));
    expect(reader.string("universal address")).toMatch(/\.0\.111$/);
    reader.end("RPCBPROC_GETADDR result");
  });

  it("answers a program it does not serve with PROG_UNAVAIL", async () => {
    expect(replyOf(await pmapCall(1, 0, undefined, 0x20000777))).toMatchObject({
      replyStat: "MSG_ACCEPTED",
      accepted: { stat: "PROG_UNAVAIL" },
    });
  });

  it("answers a version it does not serve with PROG_MISMATCH and its range", async () => {
    expect(replyOf(await pmapCall(99, 0))).toMatchObject({
      replyStat: "MSG_ACCEPTED",
      accepted: { stat: "PROG_MISMATCH", low: 2, high: 4 },
    });
  });

  it("answers pipelined calls on one connection", async () => {
    const first = xid;
    const results = await Promise.all([0, 1, 2, 3].map(() => pmapCall(2, 0)));
    expect(results.map((result) => replyOf(result).xid)).toEqual(
      [0, 1, 2, 3].map((i) => first + i),
    );
  });
});
