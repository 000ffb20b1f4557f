/** Shared by the tests of what students are given: the interface files and wire examples. */
import { execa } from "execa";
import { expect } from "vitest";

export const TOOL_TIMEOUT_MS = 30_000;

/** Runs a tool (rpcgen, gcc, pkg-config...) and returns its stdout. */
export async function runTool(cwd: string, file: string, args: string[]): Promise<string> {
  const result = await execa(file, args, { cwd, timeout: TOOL_TIMEOUT_MS });
  return result.stdout;
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
