/**
 * What students are given for lab 1 must work with their tools: kv.x goes through rpcgen and
 * gcc, and the hex in labs/rpc/wire-examples.json (mirrored in the README) is a well-formed
 * record that libtirpc itself produces byte for byte.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAmoCred, encodeKvArgs, replyOutcome } from "../src/rpc/kv-codec.ts";
import { AUTH_AMO, KV_PROCS, KV_PROG, KV_V1 } from "../src/rpc/kv-types.ts";
import { decodeReply, encodeCall } from "../src/rpc/message.ts";
import { encodeRecord } from "../src/rpc/record.ts";
import { recordBody, runTool } from "./support/wire-example.ts";

const LAB_DIR = new URL("../labs/rpc/", import.meta.url);
const TEST_TIMEOUT_MS = 60_000;

interface WireExamples {
  callHex: string;
  replyHex: string;
  call: {
    xid: number;
    prog: number;
    vers: number;
    proc: number;
    cred: { flavor: string; clientId: string; cookie: string; ackedXid: number };
    args: { proc: string; key: string; val: string };
  };
  reply: { xid: number; outcome: unknown };
}

async function loadWireExamples(): Promise<WireExamples> {
  return JSON.parse(await readFile(new URL("wire-examples.json", LAB_DIR), "utf8")) as WireExamples;
}

let workDir: string;
let tirpcCflags: string[];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "dslab-kvx-"));
  // rpcgen names the header it #includes after its input file, so run it on a local copy.
  await copyFile(new URL("kv.x", LAB_DIR), path.join(workDir, "kv.x"));
  for (const [flag, output] of [
    ["-h", "kv.h"],
    ["-c", "kv_xdr.c"],
    ["-l", "kv_clnt.c"],
    ["-m", "kv_svc.c"],
  ] as const) {
    await runTool(workDir, "rpcgen", [flag, "kv.x", "-o", output]);
  }
  tirpcCflags = (await runTool(workDir, "pkg-config", ["--cflags", "libtirpc"]))
    .split(/\s+/)
    .filter(Boolean);
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("labs/rpc/kv.x through rpcgen", () => {
  it("defines the program, version and every procedure number", async () => {
    const header = await readFile(path.join(workDir, "kv.h"), "utf8");
    expect(header).toMatch(new RegExp(`#define KV_PROG 0x${KV_PROG.toString(16)}\\b`));
    expect(header).toMatch(new RegExp(`#define KV_V1 ${KV_V1}\\b`));
    for (const [name, number] of Object.entries(KV_PROCS)) {
      expect(header).toMatch(new RegExp(`#define KV_${name} ${number}\\b`));
    }
    expect(header).toContain("struct amo_cred {");
  });

  it.each(["kv_xdr.c", "kv_clnt.c", "kv_svc.c"])(
    "generated %s compiles with gcc against libtirpc",
    async (source) => {
      await runTool(workDir, "gcc", [
        "-c",
        ...tirpcCflags,
        source,
        "-o",
        source.replace(/\.c$/, ".o"),
      ]);
    },
    TEST_TIMEOUT_MS,
  );
});

/** The message inside one record-marked TCP record; fails unless the record is exactly one fragment. */
describe("labs/rpc/wire-examples.json", () => {
  it("holds a KV_CREATE call with a 20-byte AUTH_AMO credential, as one record", async () => {
    const { callHex, call } = await loadWireExamples();
    const body = recordBody(callHex);
    const word = (offset: number) => body.readUInt32BE(offset);
    expect([word(0), word(4), word(8)]).toEqual([call.xid, 0, 2]); // xid, CALL, rpcvers
    expect([word(12), word(16), word(20)]).toEqual([KV_PROG, KV_V1, KV_PROCS.CREATE]);
    expect([call.prog, call.vers, call.proc]).toEqual([KV_PROG, KV_V1, KV_PROCS.CREATE]);
    expect([word(24), word(28)]).toEqual([AUTH_AMO, 20]);
    expect(body.readBigUInt64BE(32).toString()).toBe(call.cred.clientId);
    expect(body.readBigUInt64BE(40).toString()).toBe(call.cred.cookie);
    expect(word(48)).toBe(call.cred.ackedXid);
    expect([word(52), word(56)]).toEqual([0, 0]); // AUTH_NONE verifier, empty body
  });

  it("holds a SUCCESS reply with KV_OK for the same xid, as one record", async () => {
    const { replyHex, reply, call } = await loadWireExamples();
    const body = recordBody(replyHex);
    expect(reply.xid).toBe(call.xid);
    const words = Array.from({ length: body.length / 4 }, (_, i) => body.readUInt32BE(i * 4));
    // xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE + length 0, SUCCESS, KV_OK
    expect(words).toEqual([call.xid, 1, 0, 0, 0, 0, 0]);
  });

  it(
    "matches what libtirpc's own encoder produces for the same call and reply",
    async () => {
      const examples = await loadWireExamples();
      const source = path.join(workDir, "encode_example.c");
      await writeFile(source, encoderProgram(examples));
      const binary = path.join(workDir, "encode_example");
      const libs = (await runTool(workDir, "pkg-config", ["--libs", "libtirpc"]))
        .split(/\s+/)
        .filter(Boolean);
      await runTool(workDir, "gcc", [...tirpcCflags, source, "kv_xdr.c", "-o", binary, ...libs]);
      const [callHex, replyHex] = (await runTool(workDir, binary, [])).split("\n");
      expect(callHex).toBe(examples.callHex);
      expect(replyHex).toBe(examples.replyHex);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("labs/rpc/README.md", () => {
  it("shows kv.x verbatim and the wire examples' bytes, so the page cannot drift from them", async () => {
    const readme = await readFile(new URL("README.md", LAB_DIR), "utf8");
    const kvx = await readFile(new URL("kv.x", LAB_DIR), "utf8");
    const { callHex, replyHex } = await loadWireExamples();
    expect(readme).toContain(kvx.trim());
    expect(readme).toContain(`call:  ${callHex}`);
    expect(readme).toContain(`reply: ${replyHex}`);
    // The annotated dumps, byte columns joined, are the same records.
    const dumpedBytes = [...readme.matchAll(/^ *\d+ {2}((?:[0-9a-f]{2} )*[0-9a-f]{2}) {2,}\S/gm)]
      .map((m) => (m[1] ?? "").replaceAll(" ", ""))
      .join("");
    const marks = [...readme.matchAll(/^ {8}((?:[0-9a-f]{2} ){3}[0-9a-f]{2}) +record mark/gm)];
    expect(marks.map((m) => (m[1] ?? "").replaceAll(" ", ""))).toEqual([
      callHex.slice(0, 8),
      replyHex.slice(0, 8),
    ]);
    expect(dumpedBytes).toBe(callHex.slice(8) + replyHex.slice(8));
  });
});

/** A C program that encodes the example with libtirpc and rpcgen's routines, printing two records. */
function encoderProgram({ call }: WireExamples): string {
  return `#include <stdio.h>
#include <string.h>
#include <rpc/rpc.h>
#include "kv.h"

static void print_record(const char *buf, unsigned len) {
  printf("%08x", 0x80000000u | len);
  for (unsigned i = 0; i < len; i++) printf("%02x", (unsigned char)buf[i]);
  printf("\\n");
}

int main(void) {
  char cred_body[20];
  XDR cred_xdr;
  xdrmem_create(&cred_xdr, cred_body, sizeof cred_body, XDR_ENCODE);
  amo_cred cred = {${call.cred.clientId}ULL, ${call.cred.cookie}ULL, ${call.cred.ackedXid}u};
  if (!xdr_amo_cred(&cred_xdr, &cred) || xdr_getpos(&cred_xdr) != sizeof cred_body) return 1;

  char buf[1024];
  XDR xdr;
  xdrmem_create(&xdr, buf, sizeof buf, XDR_ENCODE);
  struct rpc_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.rm_xid = ${call.xid};
  msg.rm_direction = CALL;
  msg.rm_call.cb_rpcvers = 2;
  msg.rm_call.cb_prog = KV_PROG;
  msg.rm_call.cb_vers = KV_V1;
  msg.rm_call.cb_proc = KV_CREATE;
  msg.rm_call.cb_cred.oa_flavor = 0x${AUTH_AMO.toString(16)};
  msg.rm_call.cb_cred.oa_base = cred_body;
  msg.rm_call.cb_cred.oa_length = sizeof cred_body;
  msg.rm_call.cb_verf.oa_flavor = AUTH_NONE;
  kvpair args = {${JSON.stringify(call.args.key)}, ${JSON.stringify(call.args.val)}};
  if (!xdr_callmsg(&xdr, &msg) || !xdr_kvpair(&xdr, &args)) return 2;
  print_record(buf, xdr_getpos(&xdr));

  kv_status status = KV_OK;
  struct rpc_msg reply;
  memset(&reply, 0, sizeof reply);
  reply.rm_xid = ${call.xid};
  reply.rm_direction = REPLY;
  reply.rm_reply.rp_stat = MSG_ACCEPTED;
  reply.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
  reply.acpted_rply.ar_stat = SUCCESS;
  reply.acpted_rply.ar_results.where = (caddr_t)&status;
  reply.acpted_rply.ar_results.proc = (xdrproc_t)xdr_kv_status;
  xdrmem_create(&xdr, buf, sizeof buf, XDR_ENCODE);
  if (!xdr_replymsg(&xdr, &reply)) return 3;
  print_record(buf, xdr_getpos(&xdr));
  return 0;
}
`;
}

describe("the README's wire example and dslab's own codec", () => {
  it("dslab encodes the example call to exactly the published bytes", async () => {
    const { callHex, call } = await loadWireExamples();
    const message = encodeCall({
      xid: call.xid,
      prog: call.prog,
      vers: call.vers,
      proc: call.proc,
      cred: {
        flavor: AUTH_AMO,
        body: encodeAmoCred({
          clientId: BigInt(call.cred.clientId),
          cookie: BigInt(call.cred.cookie),
          ackedXid: call.cred.ackedXid,
        }),
      },
      args: encodeKvArgs({ proc: "CREATE", key: call.args.key, val: call.args.val }),
    });
    expect(encodeRecord(message).toString("hex")).toBe(callHex);
  });

  it("dslab decodes the example reply to the published outcome", async () => {
    const { replyHex, reply } = await loadWireExamples();
    const decoded = decodeReply(recordBody(replyHex));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.xid).toBe(reply.xid);
    expect(replyOutcome("CREATE", decoded.value)).toEqual(reply.outcome);
  });
});
