/** Bad usage is exit code 2 with commander's message, whichever layer notices it. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { useTempDirs } from "./support/temp-dirs.ts";

const dslab = (...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
    reject: false,
    timeout: 60_000,
  });

const tempDir = useTempDirs();
const TRACE = "fixtures/traces/consensus-agreement-split.jsonl";
const REFERENCE = "fixtures/rpc/python-reference";
/** Stand-ins in the cases below: an empty folder and an empty file, made in beforeAll. */
const paths = { "<dir>": "", "<empty-file>": "" };

beforeAll(async () => {
  const dir = await tempDir("dslab-cli-usage-");
  paths["<dir>"] = join(dir, "folder");
  paths["<empty-file>"] = join(dir, "empty.jsonl");
  await mkdir(paths["<dir>"]);
  await writeFile(paths["<empty-file>"], "");
});

const withPaths = (args: string[]) =>
  args.map((arg) => (arg in paths ? paths[arg as keyof typeof paths] : arg));

describe("command-line usage errors", () => {
  it.each([
    [["test", "rpc", "x", "--runtime", "dockr"], /argument 'dockr' is invalid/],
    [["grade", "rpc", "x", "--seed", "-4"], /a seed is a whole number/],
    [["test", "rpc"], /missing required argument 'submission'/],
    [["tset"], /unknown command 'tset'/],
    [["test", "rpc", "x", "--no-such-option"], /unknown option '--no-such-option'/],
    // Unknown scenarios, before any build, naming the known ones.
    [
      ["test", "rpc", REFERENCE, "--scenario", "nosuch"],
      /no scenario "nosuch"; its scenarios: clean,/,
    ],
    [
      ["grade", "rpc", REFERENCE, "--scenario", "nosuch"],
      /no scenario "nosuch"; its scenarios: clean,/,
    ],
    [["grade-all", "rpc", "<dir>", "--scenario", "nosuch"], /no scenario "nosuch"/],
    // Unknown labs, listing those in labs/.
    [["list", "paxos"], /'paxos' is invalid .* choices are consensus, counter, kvr, rpc/],
    [["grade", "paxos", REFERENCE], /choices are consensus, counter, kvr, rpc/],
    [["grade-all", "rpc", "/nonexistent"], /\/nonexistent does not exist: pass the folder/],
    [["grade-all", "rpc", TRACE], /is not a folder: pass the folder/],
    [
      ["inspect", TRACE, "--html", "/nonexistent-dir/x.html"],
      /the folder \/nonexistent-dir does not exist/,
    ],
    [["inspect", TRACE, "--html", "<dir>"], /--html .*folder is a directory: give a file/],
    [["shrink", "<empty-file>"], /empty\.jsonl is empty: not a dslab trace/],
    [["shrink", "<dir>"], /folder is a directory: pass the trace\.jsonl/],
    // Seeds: one parser and one range for every command.
    [["test", "rpc", "x", "--seeds", "0.4"], /'0\.4' is invalid\. .*whole number from 1 to 1000/],
    [["test", "rpc", "x", "--seeds", "1e9"], /'1e9' is invalid/],
    [
      ["test", "rpc", "x", "--seed", "2147483647", "--seeds", "2"],
      /reach seed 2147483648, past the largest seed 2147483647/,
    ],
    [["grade", "rpc", REFERENCE, "--seed", "2147483647", "--repeat", "2"], /past the largest seed/],
    [
      ["grade-all", "rpc", "<dir>", "--seed", "2147483647", "--repeat", "2"],
      /past the largest seed/,
    ],
    [["test", "rpc", "x", "--seed", "0x10"], /'0x10' is invalid\. a seed is/],
    [["test", "rpc", "x", "--seed", ""], /argument '' is invalid\. a seed is/],
    [["grade", "rpc", "x", "--repeat", "0"], /'0' is invalid/],
    // Other numbers: zero, negative, not a number, huge.
    [["test", "rpc", "x", "--time-scale", "0"], /time scale is a number from 0\.1 to 100/],
    [["grade", "rpc", "x", "--time-scale", "1e6"], /time scale is a number/],
    [["grade", "rpc", "x", "--budget", "NaN"], /duration in seconds/],
    [
      ["grade", "rpc", "x", "--budget", "99999999"],
      /duration in seconds is a number from 1 to 604800/,
    ],
    [["grade", "rpc", "x", "--repeat", "3", "--pass-rate", "0"], /pass rate is a number/],
    [["grade-all", "rpc", "x", "--jobs", "0"], /number of jobs/],
    [["grade-all", "rpc", "x", "--timeout", "-5"], /'-5' is invalid/],
    [["shrink", TRACE, "--max-runs", "0.4"], /number of re-runs is a whole number/],
  ])("dslab %j exits 2", async (args, message) => {
    const result = await dslab(...withPaths(args));
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    // A usage error is one line, never a stack trace, and nothing was built or run.
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // The message, a suggestion maybe, a hint: the whole help after them would bury them.
    expect(result.stderr.trim().split("\n").length, result.stderr).toBeLessThanOrEqual(3);
    expect(result.stdout).not.toMatch(/building|running/);
  });

  it.each([["grade"], ["grade-all"], ["test"], ["list"]])(
    "dslab %s --help lists every lab in labs/",
    async (command) => {
      const help = await dslab(command, "--help");
      expect(help.exitCode).toBe(0);
      // commander wraps the list to the terminal's width
      expect(help.stdout.replace(/\s+/g, " ")).toMatch(
        /choices: "consensus", "counter", "kvr", "rpc"/,
      );
    },
  );

  it("asking for help or the version is not an error", async () => {
    expect((await dslab("--help")).exitCode).toBe(0);
    const version = await dslab("--version");
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  });
});
