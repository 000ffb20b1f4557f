/**
 * `bin/dslab test --runtime docker` as a user runs it, interrupted for real: Ctrl-C (SIGINT to
 * the foreground process group) gives exit 130 and valid partial results; kill -9 is cleaned up
 * by the run's watchdog; what a run whose watchdog died too left is removed by `dslab clean`,
 * which never touches a live run. Needs dockerd, the images, root (iptables).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dockerClient, PID_LABEL, RUN_LABEL, RUNTIME_IMAGE } from "../src/host/docker-engine.ts";
import type { TestSummary } from "../src/lab/run-lab.ts";
import { removeRun } from "../src/runtime/docker-clean.ts";
import { readTrace } from "../src/trace/reader.ts";
import { docker, isolationRules, leftovers, ownerLabel, requireDocker } from "./support/docker.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

requireDocker();

const TIMEOUT_MS = 180_000;
/** Build (a few seconds) and the Toxiproxy container before the first node container. */
const NODES_UP_MS = 90_000;
/** "within a few seconds" of the harness's end. */
const CLEANUP_MS = 10_000;

const tempDir = useTempDirs();
const harnesses: ChildProcess[] = [];
afterEach(() => {
  // A failed assertion must not leave a harness running (each leads its own process group).
  for (const child of harnesses.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, "SIGKILL");
    }
  }
});
/** Every run id seen here: whatever a failed test left is removed at the end. */
const runIds: string[] = [];
afterAll(async () => {
  const engine = await dockerClient();
  for (const runId of runIds) await removeRun(engine, runId);
});

interface Harness {
  pid: number;
  outDir: string;
  /** The exit code, or the signal that killed it. */
  ended: Promise<number | NodeJS.Signals | null>;
  output: () => string;
}

/** `bin/dslab test rpc cpp-reference --runtime docker` leading its own process group, as a shell job. */
async function startHarness(): Promise<Harness> {
  const outDir = await tempDir("dslab-interrupt-");
  const args = ["test", "rpc", "fixtures/rpc/cpp-reference", "--runtime", "docker"];
  const child = spawn("bin/dslab", [...args, "--seed", "1", "--out", outDir], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  harnesses.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ended = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal)),
  );
  if (child.pid === undefined) throw new Error("bin/dslab did not start");
  return { pid: child.pid, outDir, ended, output: () => output };
}

async function waitUntil(what: string, condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(200);
  }
}

/** Waits for the harness's first node container; returns its run id. */
async function nodesRunning(harness: Harness): Promise<string> {
  const nodes = [
    "ps",
    "--filter",
    `label=${ownerLabel(harness.pid)}`,
    "--filter",
    "label=dslab.node",
  ];
  await waitUntil(
    `a node container of bin/dslab (pid ${harness.pid}); its output:\n${harness.output()}`,
    () => docker([...nodes, "-q"]) !== "",
    NODES_UP_MS,
  );
  const runId = docker([...nodes, "--format", `{{.Label "${RUN_LABEL}"}}`]).split("\n")[0] ?? "";
  runIds.push(runId);
  return runId;
}

/** Nothing of the run in the engine or in iptables. */
const runGone = (harness: Harness, runId: string) =>
  leftovers(ownerLabel(harness.pid)) === "" && isolationRules(runId).length === 0;

describe("Ctrl-C", () => {
  it("exits 130 with a valid interrupted trace and summary, and leaves nothing", {
    timeout: TIMEOUT_MS,
  }, async () => {
    const harness = await startHarness();
    const runId = await nodesRunning(harness);
    expect(isolationRules(runId)).toHaveLength(2);
    await sleep(1_000); // into the workload
    process.kill(-harness.pid, "SIGINT");
    expect(await harness.ended, harness.output()).toBe(130);

    const summary = JSON.parse(
      await readFile(join(harness.outDir, "summary.json"), "utf8"),
    ) as TestSummary;
    expect(summary.status).toBe("interrupted");
    const [result] = summary.results;
    expect(summary.results.map((r) => r.scenario)).toEqual(["clean"]);
    // Nothing broke before the Ctrl-C: the cut run is unknown, never blamed on the reference.
    expect(result?.verdict).toBe("unknown");
    expect(summary.notRun.map((r) => r.scenario)).toContain("semantics");
    const tracePath = result?.tracePath ?? "";
    const trace = await readTrace(tracePath);
    expect(trace.header).toMatchObject({ scenario: "clean", seed: 1, runtime: "docker" });
    expect(trace.events.at(-1)).toMatchObject({ type: "end", status: "interrupted" });
    // dslab check reads it (2 would be unreadable), never counts it as a pass, and agrees.
    const check = spawnSync("bin/dslab", ["check", tracePath], { encoding: "utf8" });
    expect(check.status, check.stderr).toBe(1);
    expect(check.stdout).toMatch(
      new RegExp(
        `${result?.verdict.toUpperCase()} +clean \\(seed 1\\)[\\s\\S]*the run was interrupted`,
      ),
    );

    await waitUntil(
      "the run's containers, networks and rules gone",
      () => runGone(harness, runId),
      CLEANUP_MS,
    );
  });
});

describe("kill -9", () => {
  it("the run's watchdog removes its containers, networks and rules", {
    timeout: TIMEOUT_MS,
  }, async () => {
    const harness = await startHarness();
    const runId = await nodesRunning(harness);
    process.kill(harness.pid, "SIGKILL");
    expect(await harness.ended).toBe("SIGKILL");
    await waitUntil("the watchdog's cleanup", () => runGone(harness, runId), CLEANUP_MS);
  });
});

/** The run's watchdog: `sh -c <script> dslab-docker-watchdog <harness pid> <run id>`. */
function watchdogOf(harnessPid: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // gone meanwhile
    }
    if (argv[3] === "dslab-docker-watchdog" && argv[4] === String(harnessPid)) return Number(entry);
  }
  throw new Error(`no watchdog for bin/dslab (pid ${harnessPid})`);
}

/** A run's objects made by hand: a network, a container on it, and an iptables rule. */
function fakeRun(runId: string, ownerPid: number, objects: "docker and rule" | "rule only"): void {
  const labels = ["--label", `${RUN_LABEL}=${runId}`, "--label", `${PID_LABEL}=${ownerPid}`];
  if (objects === "docker and rule") {
    docker(["network", "create", "--internal", ...labels, `dslab-${runId}`]);
    const container = ["--name", `dslab-${runId}-n1`, "--network", `dslab-${runId}`];
    docker(["create", ...container, ...labels, RUNTIME_IMAGE, "true"]);
  }
  // On an interface that does not exist: it drops nothing.
  const rule = [
    "INPUT",
    "-i",
    `dsl${runId}`,
    "-m",
    "comment",
    "--comment",
    `${RUN_LABEL}=${runId}`,
  ];
  execFileSync("iptables", ["-I", ...rule, "-j", "DROP"], { stdio: "ignore" });
}

describe("dslab clean", () => {
  // Short ids: the rule's interface name dsl<run id> has at most 15 characters.
  const base = `t${Date.now().toString(36).slice(-6)}`;
  const live = `${base}l`;
  const dead = `${base}d`;
  const orphan = `${base}o`;
  runIds.push(live, dead, orphan);

  it("removes what dead runs left (a killed harness and watchdog too) and keeps live runs", {
    timeout: TIMEOUT_MS,
  }, async () => {
    const harness = await startHarness();
    const runId = await nodesRunning(harness);
    // Both killed: nothing is left to clean up but dslab clean.
    process.kill(watchdogOf(harness.pid), "SIGKILL");
    process.kill(harness.pid, "SIGKILL");
    expect(await harness.ended).toBe("SIGKILL");
    const deadPid = spawnSync("true").pid;
    fakeRun(dead, deadPid, "docker and rule");
    fakeRun(orphan, deadPid, "rule only"); // its network already removed
    fakeRun(live, process.pid, "docker and rule");
    expect(leftovers(ownerLabel(harness.pid))).not.toBe("");
    expect(isolationRules(runId)).toHaveLength(2);

    const clean = spawnSync("bin/dslab", ["clean"], { encoding: "utf8", timeout: 60_000 });
    expect(clean.status, `${clean.stdout}${clean.stderr}`).toBe(0);
    expect(clean.stdout).toMatch(/removed \d+ objects of dead runs/);

    expect(runGone(harness, runId)).toBe(true);
    expect(leftovers(`${RUN_LABEL}=${dead}`)).toBe("");
    expect(isolationRules(dead)).toEqual([]);
    expect(isolationRules(orphan)).toEqual([]);
    // The live run keeps its container, its network and its rule.
    expect(leftovers(`${RUN_LABEL}=${live}`).split("\n")).toHaveLength(2);
    expect(isolationRules(live)).toHaveLength(1);
  });
});
