/** Shared by the tests of what students are given: the interface files and wire examples. */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect } from "vitest";
import { decodeReply, type RpcReply } from "../../src/rpc/message.ts";

export const TOOL_TIMEOUT_MS = 30_000;

/** Runs a tool (rpcgen, gcc, pkg-config...) and returns its stdout. */
export async function runTool(cwd: string, file: string, args: string[]): Promise<string> {
  const result = await execa(file, args, { cwd, timeout: TOOL_TIMEOUT_MS });
  return result.stdout;
}

/** Reads a lab's `wire-examples.json`; the caller names the shape its lab publishes. */
export async function loadWireExamples<T>(labDir: URL): Promise<T> {
  return JSON.parse(await readFile(new URL("wire-examples.json", labDir), "utf8")) as T;
}

/** rpcgen's output for one interface file, and what the tests do with it (inside tests only). */
export interface RpcgenSources {
  /** The directory holding the .x copy and rpcgen's output. */
  dir(): string;
  /** The generated header, as text. */
  header(): Promise<string>;
  /** Compiles one generated C file to an object file beside it; throws if gcc fails. */
  compile(source: string): Promise<void>;
  /**
   * Builds a C program, cEncoderPrelude followed by `body` (its own functions and main), with
   * the generated XDR routines and libtirpc, runs it, and returns its output lines.
   */
  runEncoder(body: string): Promise<string[]>;
}

/**
 * Registers hooks that run rpcgen on `<labDir>/<name>.x` before the file's tests and remove
 * its directory after them.
 */
export function useRpcgenSources(labDir: URL, name: string, timeoutMs: number): RpcgenSources {
  let workDir: string | undefined;
  beforeAll(async () => {
    workDir = await generateRpcgenSources(labDir, name);
  }, timeoutMs);
  afterAll(async () => {
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });
  const dir = () => {
    if (workDir === undefined) throw new Error(`rpcgen has not run on ${name}.x yet`);
    return workDir;
  };
  return {
    dir,
    header: () => readFile(path.join(dir(), `${name}.h`), "utf8"),
    compile: (source) => compileC(dir(), source),
    runEncoder: (body) =>
      runEncoderProgram(dir(), `${cEncoderPrelude(`${name}.h`)}\n${body}`, `${name}_xdr.c`),
  };
}

/**
 * Runs rpcgen on `<labDir>/<name>.x` in a fresh temporary directory (returned), writing
 * `<name>.h`, `<name>_xdr.c`, `<name>_clnt.c` and `<name>_svc.c`.
 */
async function generateRpcgenSources(labDir: URL, name: string): Promise<string> {
  const workDir = await mkdtemp(path.join(tmpdir(), `dslab-${name}x-`));
  // rpcgen names the header it #includes after its input file, so run it on a local copy.
  await copyFile(new URL(`${name}.x`, labDir), path.join(workDir, `${name}.x`));
  for (const [flag, output] of [
    ["-h", `${name}.h`],
    ["-c", `${name}_xdr.c`],
    ["-l", `${name}_clnt.c`],
    ["-m", `${name}_svc.c`],
  ] as const) {
    await runTool(workDir, "rpcgen", [flag, `${name}.x`, "-o", output]);
  }
  return workDir;
}

/** Checks a generated header `#define`s each name as the value given (a number or its text). */
export function expectDefines(header: string, defines: Record<string, number | string>): void {
  for (const [name, value] of Object.entries(defines)) {
    expect(header).toMatch(new RegExp(`#define ${name} ${value}\\b`));
  }
}

/** libtirpc's compiler or linker flags, from pkg-config. */
export async function tirpcFlags(cwd: string, flag: "--cflags" | "--libs"): Promise<string[]> {
  return (await runTool(cwd, "pkg-config", [flag, "libtirpc"])).split(/\s+/).filter(Boolean);
}

/** Compiles one C file in `workDir` to an object file beside it; throws if gcc fails. */
async function compileC(workDir: string, source: string): Promise<void> {
  const cflags = await tirpcFlags(workDir, "--cflags");
  await runTool(workDir, "gcc", ["-c", ...cflags, source, "-o", source.replace(/\.c$/, ".o")]);
}

/**
 * The start of a C program that encodes wire examples: the includes (rpcgen's `header` last)
 * and two helpers that print one message as a single last-fragment record in hex, returning
 * 0 if XDR encoding fails: `print_call` (a CALL with the credential given, AUTH_NONE if NULL,
 * an AUTH_NONE verifier, then its arguments) and `print_success_reply` (an accepted SUCCESS
 * reply with an AUTH_NONE verifier).
 */
function cEncoderPrelude(header: string): string {
  return `#include <stdio.h>
#include <string.h>
#include <rpc/rpc.h>
#include "${header}"

static int print_message(struct rpc_msg *msg, xdrproc_t xdr_args, void *args) {
  char buf[2048];
  XDR xdr;
  xdrmem_create(&xdr, buf, sizeof buf, XDR_ENCODE);
  int ok = msg->rm_direction == CALL ? xdr_callmsg(&xdr, msg) && xdr_args(&xdr, args)
                                     : xdr_replymsg(&xdr, msg);
  if (!ok) return 0;
  unsigned len = xdr_getpos(&xdr);
  printf("%08x", 0x80000000u | len);
  for (unsigned i = 0; i < len; i++) printf("%02x", (unsigned char)buf[i]);
  printf("\\n");
  return 1;
}

static int print_call(u_int xid, u_int prog, u_int vers, u_int proc,
                      const struct opaque_auth *cred, xdrproc_t xdr_args, void *args) {
  struct rpc_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.rm_xid = xid;
  msg.rm_direction = CALL;
  msg.rm_call.cb_rpcvers = 2;
  msg.rm_call.cb_prog = prog;
  msg.rm_call.cb_vers = vers;
  msg.rm_call.cb_proc = proc;
  if (cred != NULL) msg.rm_call.cb_cred = *cred;
  else msg.rm_call.cb_cred.oa_flavor = AUTH_NONE;
  msg.rm_call.cb_verf.oa_flavor = AUTH_NONE;
  return print_message(&msg, xdr_args, args);
}

static int print_success_reply(u_int xid, xdrproc_t xdr_result, void *result) {
  struct rpc_msg msg;
  memset(&msg, 0, sizeof msg);
  msg.rm_xid = xid;
  msg.rm_direction = REPLY;
  msg.rm_reply.rp_stat = MSG_ACCEPTED;
  msg.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
  msg.acpted_rply.ar_stat = SUCCESS;
  msg.acpted_rply.ar_results.where = (caddr_t)result;
  msg.acpted_rply.ar_results.proc = xdr_result;
  return print_message(&msg, NULL, NULL);
}`;
}

/**
 * Builds a C program that encodes wire examples with libtirpc and the rpcgen XDR routines in
 * `xdrSource`, runs it, and returns its output lines (one hex record each).
 */
async function runEncoderProgram(
  workDir: string,
  program: string,
  xdrSource: string,
): Promise<string[]> {
  const source = path.join(workDir, "encode_example.c");
  await writeFile(source, program);
  const binary = path.join(workDir, "encode_example");
  const cflags = await tirpcFlags(workDir, "--cflags");
  const libs = await tirpcFlags(workDir, "--libs");
  await runTool(workDir, "gcc", [...cflags, source, xdrSource, "-o", binary, ...libs]);
  return (await runTool(workDir, binary, [])).split("\n");
}

/**
 * The annotated hex dumps in a lab README: the record marks, and every dumped byte column
 * joined in order, to compare with the published records.
 */
export function readmeDumps(readme: string): { marks: string[]; bytes: string } {
  const bytes = [...readme.matchAll(/^ *\d+ {2}((?:[0-9a-f]{2} )*[0-9a-f]{2}) {2,}\S/gm)]
    .map((m) => (m[1] ?? "").replaceAll(" ", ""))
    .join("");
  const marks = [...readme.matchAll(/^ {8}((?:[0-9a-f]{2} ){3}[0-9a-f]{2}) +record mark/gm)].map(
    (m) => (m[1] ?? "").replaceAll(" ", ""),
  );
  return { marks, bytes };
}

/** Checks `hex` is one whole record (last-fragment mark, right length) and returns its body. */
export function recordBody(hex: string): Buffer {
  const bytes = Buffer.from(hex, "hex");
  expect(bytes.toString("hex")).toBe(hex); // every character was a hex digit
  const mark = bytes.readUInt32BE(0);
  expect(mark & 0x80000000, "last-fragment bit").not.toBe(0);
  const length = mark & 0x7fffffff;
  expect(length, "record mark length").toBe(bytes.length - 4);
  expect(length % 4, "XDR is made of 4-byte units").toBe(0);
  return bytes.subarray(4);
}

/** Decodes a published reply with dslab's codec; fails the test unless it decodes and carries `xid`. */
export function decodeExampleReply(replyHex: string, xid: number): RpcReply {
  const decoded = decodeReply(recordBody(replyHex));
  expect(decoded.ok).toBe(true);
  if (!decoded.ok) throw new Error(`the example reply does not decode: ${decoded.error}`);
  expect(decoded.value.xid).toBe(xid);
  return decoded.value;
}
