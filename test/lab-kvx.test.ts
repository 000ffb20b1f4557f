/**
 * What students are given for lab 1 must work with their tools: kv.x goes through rpcgen and
 * gcc, and the hex in labs/rpc/wire-examples.json (mirrored in the README) is a well-formed
 * record that libtirpc itself produces byte for byte.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { encodeKvArgs, replyOutcome } from "../src/kv/kv-codec.ts";
import { KV_PROCS, KV_PROG, KV_V1 } from "../src/kv/kv-types.ts";
import { AUTH_AMO, encodeAmoCred } from "../src/rpc/amo-credential.ts";
import { encodeCall } from "../src/rpc/message.ts";
import { encodeRecord } from "../src/rpc/record.ts";
import {
  decodeExampleReply,
  expectDefines,
  loadWireExamples,
  readmeDumps,
  recordBody,
  useRpcgenSources,
} from "./support/wire-example.ts";

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

const loadExamples = () => loadWireExamples<WireExamples>(LAB_DIR);

const rpcgen = useRpcgenSources(LAB_DIR, "kv", TEST_TIMEOUT_MS);

describe("labs/rpc/kv.x through rpcgen", () => {
  it("defines the program, version and every procedure number", async () => {
    const header = await rpcgen.header();
    const procs = Object.entries(KV_PROCS).map(([name, number]) => [`KV_${name}`, number]);
    expectDefines(header, {
      KV_PROG: `0x${KV_PROG.toString(16)}`,
      KV_V1,
      ...Object.fromEntries(procs),
    });
    expect(header).toContain("struct amo_cred {");
  });

  it.each(["kv_xdr.c", "kv_clnt.c", "kv_svc.c"])(
    "generated %s compiles with gcc against libtirpc",
    async (source) => {
      await rpcgen.compile(source);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("labs/rpc/wire-examples.json", () => {
  it("holds a KV_CREATE call with a 20-byte AUTH_AMO credential, as one record", async () => {
    const { callHex, call } = await loadExamples();
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
    const { replyHex, reply, call } = await loadExamples();
    const body = recordBody(replyHex);
    expect(reply.xid).toBe(call.xid);
    const words = Array.from({ length: body.length / 4 }, (_, i) => body.readUInt32BE(i * 4));
    // xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE + length 0, SUCCESS, KV_OK
    expect(words).toEqual([call.xid, 1, 0, 0, 0, 0, 0]);
  });

  it(
    "matches what libtirpc's own encoder produces for the same call and reply",
    async () => {
      const examples = await loadExamples();
      const [callHex, replyHex] = await rpcgen.runEncoder(encoderProgram(examples));
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
    const { callHex, replyHex } = await loadExamples();
    expect(readme).toContain(kvx.trim());
    expect(readme).toContain(`call:  ${callHex}`);
    expect(readme).toContain(`reply: ${replyHex}`);
    // The annotated dumps, byte columns joined, are the same records.
    const { marks, bytes: dumpedBytes } = readmeDumps(readme);
    expect(marks).toEqual([callHex.slice(0, 8), replyHex.slice(0, 8)]);
    expect(dumpedBytes).toBe(callHex.slice(8) + replyHex.slice(8));
  });
});

/** The C program's main: encodes the example call and reply, printing two records. */
function encoderProgram({ call }: WireExamples): string {
  return `int main(void) {
  char cred_body[20];
  XDR cred_xdr;
  xdrmem_create(&cred_xdr, cred_body, sizeof cred_body, XDR_ENCODE);
  amo_cred cred = {${call.cred.clientId}ULL, ${call.cred.cookie}ULL, ${call.cred.ackedXid}u};
  if (!xdr_amo_cred(&cred_xdr, &cred) || xdr_getpos(&cred_xdr) != sizeof cred_body) return 1;

  struct opaque_auth amo;
  amo.oa_flavor = 0x${AUTH_AMO.toString(16)};
  amo.oa_base = cred_body;
  amo.oa_length = sizeof cred_body;
  kvpair args = {${JSON.stringify(call.args.key)}, ${JSON.stringify(call.args.val)}};
  if (!print_call(${call.xid}, KV_PROG, KV_V1, KV_CREATE, &amo, (xdrproc_t)xdr_kvpair, &args)) {
    return 2;
  }

  kv_status status = KV_OK;
  if (!print_success_reply(${call.xid}, (xdrproc_t)xdr_kv_status, &status)) return 3;
  return 0;
}
`;
}

describe("the README's wire example and dslab's own codec", () => {
  it("dslab encodes the example call to exactly the published bytes", async () => {
    const { callHex, call } = await loadExamples();
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
    const { replyHex, reply } = await loadExamples();
    const decoded = decodeExampleReply(replyHex, reply.xid);
    expect(replyOutcome("CREATE", decoded)).toEqual(reply.outcome);
  });
});
