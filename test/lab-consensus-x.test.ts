/**
 * What students are given for lab 2 must work with their tools: consensus.x goes through
 * rpcgen and gcc (rpcgen's C output defines NULL, TRUE and FALSE, so the names must not
 * clash), and the hex in labs/consensus/wire-examples.json (mirrored in the README) is
 * well-formed, is what libtirpc itself produces byte for byte, and is what dslab's codec
 * encodes and decodes.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consReplyOutcome, encodeConsArgs } from "../src/rpc/cons-codec.ts";
import {
  CONS_MAX_VALUE_BYTES,
  CONS_PROCS,
  CONS_PROG,
  CONS_V1,
  type ConsCall,
} from "../src/rpc/cons-types.ts";
import { decodeReply, encodeCall } from "../src/rpc/message.ts";
import { encodeRecord } from "../src/rpc/record.ts";
import { recordBody, runTool } from "./support/wire-example.ts";

const LAB_DIR = new URL("../labs/consensus/", import.meta.url);
const TEST_TIMEOUT_MS = 60_000;

interface ExampleCall<A extends ConsCall> {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  args: A;
}

interface WireExamples {
  callHex: string;
  decidedCallHex: string;
  replyHex: string;
  call: ExampleCall<Extract<ConsCall, { proc: "CONS_PROPOSE" }>>;
  decidedCall: ExampleCall<Extract<ConsCall, { proc: "CONS_DECIDED" }>>;
  reply: { xid: number; result: { proc: "CONS_DECIDED"; decided: boolean; value: string } };
  decideLine: string;
}

async function loadWireExamples(): Promise<WireExamples> {
  return JSON.parse(await readFile(new URL("wire-examples.json", LAB_DIR), "utf8")) as WireExamples;
}

async function pkgConfig(cwd: string, flag: "--cflags" | "--libs"): Promise<string[]> {
  return (await runTool(cwd, "pkg-config", [flag, "libtirpc"])).split(/\s+/).filter(Boolean);
}

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "dslab-consx-"));
  // rpcgen names the header it #includes after its input file, so run it on a local copy.
  await copyFile(new URL("consensus.x", LAB_DIR), path.join(workDir, "consensus.x"));
  for (const [flag, output] of [
    ["-h", "consensus.h"],
    ["-c", "consensus_xdr.c"],
    ["-l", "consensus_clnt.c"],
    ["-m", "consensus_svc.c"],
  ] as const) {
    await runTool(workDir, "rpcgen", [flag, "consensus.x", "-o", output]);
  }
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("labs/consensus/consensus.x through rpcgen", () => {
  it("defines the program, version and every procedure number dslab uses", async () => {
    const header = await readFile(path.join(workDir, "consensus.h"), "utf8");
    expect(header).toMatch(new RegExp(`#define CONS_PROG 0x${CONS_PROG.toString(16)}\\b`));
    expect(header).toMatch(new RegExp(`#define CONS_V1 ${CONS_V1}\\b`));
    for (const [name, number] of Object.entries(CONS_PROCS)) {
      expect(header).toMatch(new RegExp(`#define ${name} ${number}\\b`));
    }
    expect(header).toContain("struct proposal {");
    expect(header).toContain("struct decision {");
  });

  it("bounds values at the same 1024 bytes as dslab", async () => {
    const source = await readFile(new URL("consensus.x", LAB_DIR), "utf8");
    const bounds = [...source.matchAll(/opaque value<(\d+)>/g)].map((m) => Number(m[1]));
    expect(bounds).toEqual([CONS_MAX_VALUE_BYTES, CONS_MAX_VALUE_BYTES]);
  });

  it.each(["consensus_xdr.c", "consensus_clnt.c", "consensus_svc.c"])(
    "generated %s compiles with gcc against libtirpc",
    async (source) => {
      const cflags = await pkgConfig(workDir, "--cflags");
      await runTool(workDir, "gcc", ["-c", ...cflags, source, "-o", source.replace(/\.c$/, ".o")]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the generated header compiles as C++17, as a C++ node includes it",
    async () => {
      const cflags = await pkgConfig(workDir, "--cflags");
      const source = path.join(workDir, "uses_header.cc");
      await writeFile(
        source,
        '#include <rpc/rpc.h>\n#include "consensus.h"\nint main() { decision d{}; d.decided = TRUE; return CONS_DECIDED - 2; }\n',
      );
      await runTool(workDir, "g++", ["-std=c++17", "-c", ...cflags, source, "-o", "uses_header.o"]);
    },
    TEST_TIMEOUT_MS,
  );
});

/** The message inside one record-marked TCP record; fails unless the record is exactly one fragment. */
/** Checks an `opaque<>` at `offset` (length, bytes, zero padding) ends the message; returns the bytes. */
function trailingOpaque(body: Buffer, offset: number): Buffer {
  const length = body.readUInt32BE(offset);
  const padded = Math.ceil(length / 4) * 4;
  expect(body.length, "the opaque is the last field").toBe(offset + 4 + padded);
  expect([...body.subarray(offset + 4 + length)], "zero padding").toEqual(
    new Array(padded - length).fill(0),
  );
  return body.subarray(offset + 4, offset + 4 + length);
}

/** xid, CALL, rpcvers 2, prog, vers, proc, AUTH_NONE credential and verifier: 40 bytes. */
function expectCallHeader(body: Buffer, call: ExampleCall<ConsCall>, proc: number): void {
  const words = Array.from({ length: 10 }, (_, i) => body.readUInt32BE(i * 4));
  expect(words).toEqual([call.xid, 0, 2, CONS_PROG, CONS_V1, proc, 0, 0, 0, 0]);
  expect([call.prog, call.vers, call.proc]).toEqual([CONS_PROG, CONS_V1, proc]);
}

describe("labs/consensus/wire-examples.json", () => {
  it("holds a CONS_PROPOSE call with the slot at offset 40 and the value at 48, as one record", async () => {
    const { callHex, call } = await loadWireExamples();
    const body = recordBody(callHex);
    expectCallHeader(body, call, CONS_PROCS.CONS_PROPOSE);
    expect(body.readBigUInt64BE(40).toString()).toBe(call.args.slot);
    expect(BigInt(call.args.slot), "the example shows a slot above 2^32").toBeGreaterThan(
      2n ** 32n,
    );
    expect(trailingOpaque(body, 48).toString("base64")).toBe(call.args.value);
  });

  it("holds a CONS_DECIDED call for the same slot, as one record", async () => {
    const { decidedCallHex, decidedCall, call } = await loadWireExamples();
    const body = recordBody(decidedCallHex);
    expectCallHeader(body, decidedCall, CONS_PROCS.CONS_DECIDED);
    expect(body.length).toBe(48);
    expect(body.readBigUInt64BE(40).toString()).toBe(decidedCall.args.slot);
    expect(decidedCall.args.slot).toBe(call.args.slot);
  });

  it("holds a SUCCESS reply with decided = TRUE and the proposed value, as one record", async () => {
    const { replyHex, reply, decidedCall, call } = await loadWireExamples();
    const body = recordBody(replyHex);
    expect(reply.xid).toBe(decidedCall.xid);
    const words = Array.from({ length: 7 }, (_, i) => body.readUInt32BE(i * 4));
    // xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE + length 0, SUCCESS, decided TRUE
    expect(words).toEqual([reply.xid, 1, 0, 0, 0, 0, 1]);
    expect(reply.result.decided).toBe(true);
    expect(trailingOpaque(body, 28).toString("base64")).toBe(reply.result.value);
    expect(reply.result.value).toBe(call.args.value);
  });

  it("holds the matching decide line: the slot as a JSON integer, the value in padded base64", async () => {
    const { decideLine, call } = await loadWireExamples();
    const event: unknown = JSON.parse(decideLine);
    expect(event).toEqual({ type: "decide", slot: Number(call.args.slot), value: call.args.value });
    expect(Number.isSafeInteger(Number(call.args.slot))).toBe(true);
    const bytes = Buffer.from(call.args.value, "base64");
    expect(bytes.toString("base64"), "canonical, padded base64").toBe(call.args.value);
    expect(call.args.value.endsWith("="), "the example shows the padding").toBe(true);
  });

  it(
    "matches what libtirpc and rpcgen's routines produce for the same calls and reply",
    async () => {
      const examples = await loadWireExamples();
      const source = path.join(workDir, "encode_example.c");
      await writeFile(source, encoderProgram(examples));
      const binary = path.join(workDir, "encode_example");
      const cflags = await pkgConfig(workDir, "--cflags");
      const libs = await pkgConfig(workDir, "--libs");
      await runTool(workDir, "gcc", [...cflags, source, "consensus_xdr.c", "-o", binary, ...libs]);
      const lines = (await runTool(workDir, binary, [])).split("\n");
      expect(lines).toEqual([examples.callHex, examples.decidedCallHex, examples.replyHex]);
    },
    TEST_TIMEOUT_MS,
  );
});

/** A C string literal holding exactly `bytes` (hex escapes; split so no digit joins an escape). */
function cBytes(bytes: Buffer): string {
  return [...bytes].map((b) => `"\\x${b.toString(16).padStart(2, "0")}"`).join(" ");
}

/** A C program that encodes the examples with libtirpc and rpcgen's routines, printing three records. */
function encoderProgram({ call, decidedCall, reply }: WireExamples): string {
  const callValue = Buffer.from(call.args.value, "base64");
  const replyValue = Buffer.from(reply.result.value, "base64");
  return `#include <stdio.h>
#include <string.h>
#include <rpc/rpc.h>
#include "consensus.h"

static void print_record(const char *buf, unsigned len) {
  printf("%08x", 0x80000000u | len);
  for (unsigned i = 0; i < len; i++) printf("%02x", (unsigned char)buf[i]);
  printf("\\n");
}

/* Encodes a CALL with AUTH_NONE credential and verifier, then its arguments. */
static int encode_call(u_int xid, u_int proc, xdrproc_t xdr_args, void *args) {
  char buf[2048];
  XDR xdr;
  xdrmem_create(&xdr, buf, sizeof buf, XDR_ENCODE);
  struct rpc_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.rm_xid = xid;
  msg.rm_direction = CALL;
  msg.rm_call.cb_rpcvers = 2;
  msg.rm_call.cb_prog = CONS_PROG;
  msg.rm_call.cb_vers = CONS_V1;
  msg.rm_call.cb_proc = proc;
  msg.rm_call.cb_cred.oa_flavor = AUTH_NONE;
  msg.rm_call.cb_verf.oa_flavor = AUTH_NONE;
  if (!xdr_callmsg(&xdr, &msg) || !xdr_args(&xdr, args)) return 0;
  print_record(buf, xdr_getpos(&xdr));
  return 1;
}

int main(void) {
  char call_value[] = ${cBytes(callValue)};
  proposal prop;
  prop.slot = ${call.args.slot}ULL;
  prop.value.value_len = ${callValue.length};
  prop.value.value_val = call_value;
  if (!encode_call(${call.xid}, CONS_PROPOSE, (xdrproc_t)xdr_proposal, &prop)) return 1;

  u_quad_t slot = ${decidedCall.args.slot}ULL;
  if (!encode_call(${decidedCall.xid}, CONS_DECIDED, (xdrproc_t)xdr_u_quad_t, &slot)) return 2;

  char reply_value[] = ${cBytes(replyValue)};
  decision result;
  result.decided = ${reply.result.decided ? "TRUE" : "FALSE"};
  result.decision_u.value.value_len = ${replyValue.length};
  result.decision_u.value.value_val = reply_value;
  struct rpc_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.rm_xid = ${reply.xid};
  msg.rm_direction = REPLY;
  msg.rm_reply.rp_stat = MSG_ACCEPTED;
  msg.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
  msg.acpted_rply.ar_stat = SUCCESS;
  msg.acpted_rply.ar_results.where = (caddr_t)&result;
  msg.acpted_rply.ar_results.proc = (xdrproc_t)xdr_decision;
  char buf[2048];
  XDR xdr;
  xdrmem_create(&xdr, buf, sizeof buf, XDR_ENCODE);
  if (!xdr_replymsg(&xdr, &msg)) return 3;
  print_record(buf, xdr_getpos(&xdr));
  return 0;
}
`;
}

describe("the wire examples and dslab's own codec (src/rpc/cons-codec.ts)", () => {
  it("dslab encodes both example calls to exactly the published bytes", async () => {
    const examples = await loadWireExamples();
    for (const [example, hex] of [
      [examples.call, examples.callHex],
      [examples.decidedCall, examples.decidedCallHex],
    ] as const) {
      const message = encodeCall({
        xid: example.xid,
        prog: example.prog,
        vers: example.vers,
        proc: example.proc,
        args: encodeConsArgs(example.args),
      });
      expect(encodeRecord(message).toString("hex")).toBe(hex);
    }
  });

  it("dslab decodes the example reply to the published result", async () => {
    const { replyHex, reply } = await loadWireExamples();
    const decoded = decodeReply(recordBody(replyHex));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.xid).toBe(reply.xid);
    expect(consReplyOutcome("CONS_DECIDED", decoded.value)).toEqual({
      kind: "success",
      result: reply.result,
      verifierFlavor: 0,
    });
  });
});

describe("labs/consensus/README.md", () => {
  it("shows consensus.x verbatim and the wire examples' bytes, so the page cannot drift from them", async () => {
    const readme = await readFile(new URL("README.md", LAB_DIR), "utf8");
    const consx = await readFile(new URL("consensus.x", LAB_DIR), "utf8");
    const { callHex, decidedCallHex, replyHex, decideLine } = await loadWireExamples();
    expect(readme).toContain(consx.trim());
    expect(readme).toContain(`propose: ${callHex}`);
    expect(readme).toContain(`decided: ${decidedCallHex}`);
    expect(readme).toContain(`reply:   ${replyHex}`);
    expect(readme).toContain(decideLine);
    // The annotated dumps, byte columns joined, are the same records, in the same order.
    const dumpedBytes = [...readme.matchAll(/^ *\d+ {2}((?:[0-9a-f]{2} )*[0-9a-f]{2}) {2,}\S/gm)]
      .map((m) => (m[1] ?? "").replaceAll(" ", ""))
      .join("");
    const marks = [...readme.matchAll(/^ {8}((?:[0-9a-f]{2} ){3}[0-9a-f]{2}) +record mark/gm)];
    expect(marks.map((m) => (m[1] ?? "").replaceAll(" ", ""))).toEqual([
      callHex.slice(0, 8),
      decidedCallHex.slice(0, 8),
      replyHex.slice(0, 8),
    ]);
    expect(dumpedBytes).toBe(callHex.slice(8) + decidedCallHex.slice(8) + replyHex.slice(8));
  });
});
