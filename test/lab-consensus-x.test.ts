/**
 * What students are given for lab 2 must work with their tools: consensus.x goes through
 * rpcgen and gcc (rpcgen's C output defines NULL, TRUE and FALSE, so the names must not
 * clash), and the hex in labs/consensus/wire-examples.json (mirrored in the README) is
 * well-formed, is what libtirpc itself produces byte for byte, and is what dslab's codec
 * encodes and decodes.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { encodeConsArgs } from "../labs/consensus/protocol/cons-codec.ts";
import { consProgram } from "../labs/consensus/protocol/cons-program.ts";
import {
  CONS_MAX_VALUE_BYTES,
  CONS_PROCS,
  CONS_PROG,
  CONS_V1,
  type ConsCall,
} from "../labs/consensus/protocol/cons-types.ts";
import { encodeCall } from "../src/rpc/message.ts";
import { outcomeOf } from "../src/rpc/outcome.ts";
import { encodeRecord } from "../src/rpc/record.ts";
import {
  decodeExampleReply,
  expectDefines,
  loadWireExamples,
  readmeDumps,
  recordBody,
  runTool,
  tirpcFlags,
  useRpcgenSources,
} from "./support/wire-example.ts";

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

const loadExamples = () => loadWireExamples<WireExamples>(LAB_DIR);

const rpcgen = useRpcgenSources(LAB_DIR, "consensus", TEST_TIMEOUT_MS);

describe("labs/consensus/consensus.x through rpcgen", () => {
  it("defines the program, version and every procedure number dslab uses", async () => {
    const header = await rpcgen.header();
    expectDefines(header, { CONS_PROG: `0x${CONS_PROG.toString(16)}`, CONS_V1, ...CONS_PROCS });
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
      await rpcgen.compile(source);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "the generated header compiles as C++17, as a C++ node includes it",
    async () => {
      const cflags = await tirpcFlags(rpcgen.dir(), "--cflags");
      const source = path.join(rpcgen.dir(), "uses_header.cc");
      await writeFile(
        source,
        '#include <rpc/rpc.h>\n#include "consensus.h"\nint main() { decision d{}; d.decided = TRUE; return CONS_DECIDED - 2; }\n',
      );
      await runTool(rpcgen.dir(), "g++", [
        "-std=c++17",
        "-c",
        ...cflags,
        source,
        "-o",
        "uses_header.o",
      ]);
    },
    TEST_TIMEOUT_MS,
  );
});

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
    const { callHex, call } = await loadExamples();
    const body = recordBody(callHex);
    expectCallHeader(body, call, CONS_PROCS.CONS_PROPOSE);
    expect(body.readBigUInt64BE(40).toString()).toBe(call.args.slot);
    expect(BigInt(call.args.slot), "the example shows a slot above 2^32").toBeGreaterThan(
      2n ** 32n,
    );
    expect(trailingOpaque(body, 48).toString("base64")).toBe(call.args.value);
  });

  it("holds a CONS_DECIDED call for the same slot, as one record", async () => {
    const { decidedCallHex, decidedCall, call } = await loadExamples();
    const body = recordBody(decidedCallHex);
    expectCallHeader(body, decidedCall, CONS_PROCS.CONS_DECIDED);
    expect(body.length).toBe(48);
    expect(body.readBigUInt64BE(40).toString()).toBe(decidedCall.args.slot);
    expect(decidedCall.args.slot).toBe(call.args.slot);
  });

  it("holds a SUCCESS reply with decided = TRUE and the proposed value, as one record", async () => {
    const { replyHex, reply, decidedCall, call } = await loadExamples();
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
    const { decideLine, call } = await loadExamples();
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
      const examples = await loadExamples();
      const lines = await rpcgen.runEncoder(encoderProgram(examples));
      expect(lines).toEqual([examples.callHex, examples.decidedCallHex, examples.replyHex]);
    },
    TEST_TIMEOUT_MS,
  );
});

/** A C string literal holding exactly `bytes` (hex escapes; split so no digit joins an escape). */
function cBytes(bytes: Buffer): string {
  return [...bytes].map((b) => `"\\x${b.toString(16).padStart(2, "0")}"`).join(" ");
}

/** The C program's own part: encodes the examples, printing three records. */
function encoderProgram({ call, decidedCall, reply }: WireExamples): string {
  const callValue = Buffer.from(call.args.value, "base64");
  const replyValue = Buffer.from(reply.result.value, "base64");
  return `/* Encodes a CALL with AUTH_NONE credential and verifier, then its arguments. */
static int encode_call(u_int xid, u_int proc, xdrproc_t xdr_args, void *args) {
  return print_call(xid, CONS_PROG, CONS_V1, proc, NULL, xdr_args, args);
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
  if (!print_success_reply(${reply.xid}, (xdrproc_t)xdr_decision, &result)) return 3;
  return 0;
}
`;
}

describe("the wire examples and dslab's own codec (src/rpc/cons-codec.ts)", () => {
  it("dslab encodes both example calls to exactly the published bytes", async () => {
    const examples = await loadExamples();
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
    const { replyHex, reply } = await loadExamples();
    const decoded = decodeExampleReply(replyHex, reply.xid);
    expect(
      outcomeOf(decoded, (results) => consProgram.decodeResults("CONS_DECIDED", results)),
    ).toEqual({
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
    const { callHex, decidedCallHex, replyHex, decideLine } = await loadExamples();
    expect(readme).toContain(consx.trim());
    expect(readme).toContain(`propose: ${callHex}`);
    expect(readme).toContain(`decided: ${decidedCallHex}`);
    expect(readme).toContain(`reply:   ${replyHex}`);
    expect(readme).toContain(decideLine);
    // The annotated dumps, byte columns joined, are the same records, in the same order.
    const { marks, bytes: dumpedBytes } = readmeDumps(readme);
    expect(marks).toEqual([callHex.slice(0, 8), decidedCallHex.slice(0, 8), replyHex.slice(0, 8)]);
    expect(dumpedBytes).toBe(callHex.slice(8) + decidedCallHex.slice(8) + replyHex.slice(8));
  });
});
