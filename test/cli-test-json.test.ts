/**
 * `dslab test --json`: stdout holds the run's summary as JSON and nothing else (progress,
 * results and errors on stderr), so `dslab test ... --json | jq` works; the default output
 * folder moves dslab-out/latest (dslab grade's too), an explicit --out does not. No scenario
 * runs here: the submissions below fail at the build or at the scenario's name.
 */
import { mkdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { testOutput } from "../src/cli/test-output.ts";
import type { TestSummary } from "../src/lab/run-lab.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const MAIN = resolve("src/cli/main.ts");
const REFERENCE = resolve("fixtures/rpc/python-reference");

const dslab = (cwd: string, ...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], {
    cwd,
    reject: false,
    timeout: 60_000,
  });

function recorder() {
  const text: string[] = [];
  return { text, sink: { write: (chunk: string) => text.push(chunk) } };
}

const SUMMARY = { lab: "rpc", status: "completed", results: [] } as unknown as TestSummary;

describe("testOutput", () => {
  it("without --json: lines on stdout, no JSON", () => {
    const [out, err] = [recorder(), recorder()];
    const output = testOutput(false, out.sink, err.sink);
    output.line("PASS clean");
    output.warn("dslab: warning: x");
    output.summary(SUMMARY);
    expect(out.text).toEqual(["PASS clean\n"]);
    expect(err.text).toEqual(["dslab: warning: x\n"]);
  });

  it("with --json: lines on stderr, stdout only the summary", () => {
    const [out, err] = [recorder(), recorder()];
    const output = testOutput(true, out.sink, err.sink);
    output.line("PASS clean");
    output.warn("dslab: warning: x");
    output.summary(SUMMARY);
    expect(err.text).toEqual(["PASS clean\n", "dslab: warning: x\n"]);
    expect(JSON.parse(out.text.join(""))).toEqual(SUMMARY);
  });
});

/** A submission whose build fails at once: the run stops before any scenario. */
async function failingBuild(): Promise<string> {
  const dir = join(await tempDir("dslab-json-sub-"), "submission");
  await mkdir(dir);
  await writeFile(
    join(dir, "dslab.json"),
    JSON.stringify({ lab: "rpc", build: "echo no compiler here; exit 1", run: ["true"] }),
  );
  return dir;
}

describe("dslab test --json", () => {
  it("an unknown scenario: the error on stderr, stdout empty, exit 2", async () => {
    const result = await dslab(
      process.cwd(),
      "test",
      "rpc",
      REFERENCE,
      "--json",
      "--scenario",
      "nosuch",
    );
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/no scenario "nosuch"/);
  });

  it("a failed build: stdout is the summary alone, latest points at the run", async () => {
    const cwd = await tempDir("dslab-json-cwd-");
    const result = await dslab(cwd, "test", "rpc", await failingBuild(), "--json", "--seed", "1");
    expect(result.exitCode, result.stderr).toBe(2);
    const summary = JSON.parse(result.stdout) as TestSummary;
    expect(summary).toMatchObject({ lab: "rpc", status: "build-failed" });
    expect(result.stderr).toMatch(/^dslab .*: lab rpc, .*output dslab-out\/rpc-/);
    const run = await readlink(join(cwd, "dslab-out", "latest"));
    expect(run).toMatch(/^rpc-\d{8}-\d{6}$/);
    expect(JSON.parse(await readFile(join(cwd, "dslab-out", run, "summary.json"), "utf8"))).toEqual(
      summary,
    );
  });

  it("an explicit --out leaves latest alone", async () => {
    const cwd = await tempDir("dslab-json-out-");
    const submission = await failingBuild();
    await mkdir(join(cwd, "dslab-out"));
    const result = await dslab(cwd, "test", "rpc", submission, "--out", "dslab-out/mine");
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).toMatch(/output dslab-out\/mine/);
    await expect(readlink(join(cwd, "dslab-out", "latest"))).rejects.toThrow(/ENOENT/);
  });
});

describe("dslab grade", () => {
  it("moves latest to its run too, from the default output folder", async () => {
    const cwd = await tempDir("dslab-grade-latest-");
    const result = await dslab(cwd, "grade", "rpc", await failingBuild(), "--seed", "1");
    expect(result.stdout).toMatch(/dslab-out\/grade-rpc-/);
    const run = await readlink(join(cwd, "dslab-out", "latest"));
    expect(run).toMatch(/^grade-rpc-\d{8}-\d{6}$/);
    await expect(readFile(join(cwd, "dslab-out", run, "results.json"), "utf8")).resolves.toMatch(
      /"score"/,
    );
  });
});
