/**
 * `--runtime docker` end to end: the same verdicts as the process runtime on the same seeds,
 * hostile submissions contained and failed with their reason, and nothing of ours left in the
 * engine afterwards (normal and interrupted runs). Needs dockerd and the images.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTests, type TestSummary } from "../src/lab/run-lab.ts";
import type { RuntimeKind } from "../src/runtime/infrastructure.ts";
import { leftovers, requireDocker, verdicts } from "./support/docker.ts";

const outDirs: string[] = [];
afterAll(async () => {
  await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

requireDocker();

async function run(
  lab: string,
  submission: string,
  scenarios: string[],
  runtime: RuntimeKind,
  signal = new AbortController().signal,
): Promise<TestSummary> {
  const outDir = await mkdtemp(join(tmpdir(), "dslab-docker-"));
  outDirs.push(outDir);
  return runTests({
    lab,
    submission,
    seeds: [1],
    scenarios,
    timeScale: 0.5,
    outDir,
    signal,
    runtime,
    log: () => undefined,
    onResult: () => undefined,
    command: "bin/dslab",
  });
}

describe("the docker runtime gives the process runtime's verdicts", () => {
  const cases: Array<[string, string, string[]]> = [
    ["rpc", "fixtures/rpc/cpp-reference", ["clean", "crash-after-ack", "duplicates"]],
    ["rpc", "fixtures/rpc/bug-memory-only", ["clean", "crash-after-ack"]],
    // Lab 2's and lab 3's references: docker-lab2 and docker-kvr; Python in a container:
    // docker-init-kits (the python kit) and docker-kvr (python bugs).
  ];
  it.each(cases)("%s %s", { timeout: 300_000 }, async (lab, submission, scenarios) => {
    const docker = await run(lab, submission, scenarios, "docker");
    const processes = await run(lab, submission, scenarios, "process");
    expect(docker.build?.ok).toBe(true);
    expect(verdicts(docker)).toEqual(verdicts(processes));
    expect(leftovers()).toBe("");
  });
});

describe("lab 1's bug fixtures fail the same properties under both runtimes", () => {
  // The directed probe that exposes each bug (as in e2e-rpc), one seed; one bug per probe
  // (cache-per-connection and evicts-early fail duplicates as no-replay-cache does).
  const cases: Array<[string, string, string]> = [
    ["bug-no-replay-cache", "duplicates", "at-most-once"],
    ["bug-ignores-boot-cookie", "crash-after-ack", "at-most-once"],
    ["bug-one-read-one-record", "wire", "wire-conformance"],
  ];
  it.each(cases)("%s (%s)", { timeout: 300_000 }, async (fixture, scenario, property) => {
    const submission = `fixtures/rpc/${fixture}`;
    const failedUnder: Record<string, string[] | undefined> = {};
    for (const runtime of ["docker", "process"] as const) {
      const [result] = (await run("rpc", submission, [scenario], runtime)).results;
      const failed = result?.checks.filter((c) => c.verdict === "fail").map((c) => c.property);
      expect(failed, `${runtime}: ${JSON.stringify(result?.checks)}`).toContain(property);
      failedUnder[runtime] = failed;
    }
    expect(failedUnder.docker).toEqual(failedUnder.process);
    expect(leftovers()).toBe("");
  });
});

describe("hostile submissions are contained and fail with their reason", () => {
  let listener: Server;
  let accepted = 0;
  beforeAll(async () => {
    listener = createServer((socket) => {
      accepted += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, "0.0.0.0", resolve));
  });
  afterAll(() => listener.close());

  const cases: Array<[string, RegExp]> = [
    ["fork-bomb", /process limit/],
    ["memory-hog", /memory limit/],
    ["write-outside", /denied: \/etc\/evil: .*Read-only file system/],
    ["never-ready", /never listened on port 7000/],
    ["sleep-on-call", /got no reply/],
  ];
  it.each(cases)("%s", { timeout: 120_000 }, async (fixture, reason) => {
    const summary = await run("rpc", `fixtures/hostile/${fixture}`, ["clean"], "docker");
    const [result] = summary.results;
    expect(result?.verdict).toBe("fail");
    expect(JSON.stringify(result?.checks)).toMatch(reason);
    expect(leftovers()).toBe("");
  });

  it("reach-host cannot reach a listener on the host", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "dslab-reach-"));
    outDirs.push(dir);
    await cp("fixtures/hostile/reach-host", dir, { recursive: true });
    const address = listener.address();
    await writeFile(join(dir, "target"), String(typeof address === "object" && address?.port));
    const summary = await run("rpc", dir, ["clean"], "docker");
    const [result] = summary.results;
    expect(result?.verdict).toBe("fail");
    const trace = await readFile(result?.tracePath ?? "", "utf8");
    expect(trace).toMatch(/blocked: \d+\.\d+\.\d+\.1:/);
    expect(trace).not.toMatch(/ESCAPED/);
    expect(accepted).toBe(0);
  });
});

describe("cleanup", () => {
  it("an interrupted run leaves nothing behind", { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    const running = run(
      "rpc",
      "fixtures/rpc/cpp-reference",
      ["clean"],
      "docker",
      controller.signal,
    );
    // Interrupt once the nodes run (the first container exists).
    for (let i = 0; i < 600 && !/\S/.test(leftovers()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    controller.abort();
    const summary = await running;
    expect(summary.status).toBe("interrupted");
    expect(leftovers()).toBe("");
  });
});
