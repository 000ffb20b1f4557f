/** Bad usage is exit code 2 with commander's message, whichever layer notices it. */
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const dslab = (...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
    reject: false,
    timeout: 60_000,
  });

describe("command-line usage errors", () => {
  it.each([
    [["test", "rpc", "x", "--runtime", "dockr"], /argument 'dockr' is invalid/],
    [["grade", "rpc", "x", "--seed", "-4"], /a seed is a whole number/],
    [["test", "rpc"], /missing required argument 'submission'/],
    [["tset"], /unknown command 'tset'/],
    [["test", "rpc", "x", "--no-such-option"], /unknown option '--no-such-option'/],
  ])("dslab %j exits 2", async (args, message) => {
    const result = await dslab(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("asking for help or the version is not an error", async () => {
    expect((await dslab("--help")).exitCode).toBe(0);
    const version = await dslab("--version");
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  });
});
