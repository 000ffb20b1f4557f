/**
 * Finding 5 of issue 12: a build or a node's child that leaves its process group (setsid) and
 * clears its environment must still die at the build's limit or with the node, and a build
 * that does so must fail at its limit, not when the escaped process lets go of its output.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { cgroupSupport } from "../src/host/cgroup.ts";
import { buildSubmission } from "../src/lab/build.ts";
import { loadManifest } from "../src/lab/manifest.ts";
import { freePort } from "../src/net/free-port.ts";
import { ProcessRuntime } from "../src/runtime/process-runtime.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const fixture = (name: string) => new URL(`../fixtures/hostile/${name}`, import.meta.url).pathname;
const src = (path: string) => new URL(`../src/${path}`, import.meta.url).href;
const cgroups = cgroupSupport();
const noCgroups = cgroups.available ? "" : `no cgroups here (${cgroups.why})`;

/** Running (a zombie has let go of everything and is its parent's to reap). */
async function runs(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

/** The pid a hostile process wrote, once it is there (up to 5 s). */
async function pidIn(file: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (/^\d+$/.test(text.trim())) return Number(text);
    await sleep(100);
  }
  throw new Error(`no pid in ${file}`);
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (await runs(pid)) {
    if (Date.now() >= deadline) {
      process.kill(pid, "SIGKILL");
      return false;
    }
    await sleep(50);
  }
  return true;
}

describe("hostile: escaping the build's limit", () => {
  it("fails at its limit, whoever holds its output open", async () => {
    const submission = fixture("build-escape");
    const out = await tempDir("dslab-build-escape-");
    const started = Date.now();
    const result = await buildSubmission(submission, await loadManifest(submission), out, 3_000);
    const tookMs = Date.now() - started;
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/did not finish within 3 s and was killed/);
    expect(result.logTail).toContain("left a process behind");
    // Was 25 s: the result waited for the escaped process to close the build's stdout.
    expect(tookMs).toBeLessThan(4_500);
    if (noCgroups) return;
    expect(await goneWithin(await pidIn(join(result.dir, "escaped.pid")), 1_000)).toBe(true);
  }, 15_000);
});

describe.skipIf(noCgroups !== "")(`hostile: a node's child escaping its group ${noCgroups}`, () => {
  it("dies with the node even with its environment cleared", async () => {
    const dir = await tempDir("dslab-child-escape-");
    const runtime = new ProcessRuntime({ emit: () => undefined, now: () => 0 });
    const dataDir = join(dir, "data");
    const started = await runtime.start({
      id: "n1",
      argv: ["python3", "node.py"],
      cwd: fixture("child-escape"),
      env: {},
      port: await freePort(),
      peers: [],
      dataDir,
      tmpDir: join(dir, "tmp"),
    });
    expect(started).toEqual({ ok: true });
    const escaped = await pidIn(join(dataDir, "escaped.pid"));
    expect(await runs(escaped)).toBe(true);
    await runtime.stopAll();
    // Was alive for its whole 25 s: no process group and no tag marked it as the node's.
    expect(await goneWithin(escaped, 1_000)).toBe(true);
  }, 15_000);
});

/** A harness in miniature: starts the child-escape node, says "ready", then waits to be killed. */
const HARNESS = `
import { ProcessRuntime } from ${JSON.stringify(src("runtime/process-runtime.ts"))};
import { freePort } from ${JSON.stringify(src("net/free-port.ts"))};
const dir = process.env.RUN_DIR;
const runtime = new ProcessRuntime({ emit: () => {}, now: () => 0 });
const result = await runtime.start({
  id: "n1", argv: ["python3", "node.py"], cwd: process.env.NODE_DIR, env: {},
  port: await freePort(), peers: [], dataDir: dir + "/data", tmpDir: dir + "/tmp",
});
console.log(result.ok ? "ready" : result.reason);
setInterval(() => {}, 1000);
`;

describe.skipIf(noCgroups !== "")(`hostile: a SIGKILLed harness ${noCgroups}`, () => {
  it("leaves no escaped child behind: its watchdog empties the harness's cgroups", async () => {
    const dir = await tempDir("dslab-child-escape-sigkill-");
    const harness = spawn(process.execPath, ["--input-type=module", "-e", HARNESS], {
      env: { ...process.env, RUN_DIR: dir, NODE_DIR: fixture("child-escape") },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const said = await new Promise<string>((resolve) =>
      harness.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim())),
    );
    expect(said).toBe("ready");
    const escaped = await pidIn(join(dir, "data", "escaped.pid"));
    harness.kill("SIGKILL");
    // The watchdog polls the harness every 0.5 s.
    expect(await goneWithin(escaped, 3_000)).toBe(true);
  }, 15_000);
});
