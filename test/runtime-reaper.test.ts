import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveProcessesInGroup } from "../src/runtime/process-group.ts";

const src = (path: string) => new URL(`../src/${path}`, import.meta.url).href;

/**
 * A harness in miniature: starts one node (which forks a helper into its group), prints the
 * node's process group, then, told "go", ends the way MODE says (or waits to be signalled).
 */
const HARNESS = `
import { ProcessRuntime } from ${JSON.stringify(src("runtime/process-runtime.ts"))};
import { freePort } from ${JSON.stringify(src("net/free-port.ts"))};
const dir = process.env.RUN_DIR;
let pgid = 0;
const runtime = new ProcessRuntime({
  emit: (e) => { if (e.type === "node.start") pgid = e.pid; },
  now: () => 0,
});
// The node forks a helper into its group, and one that escapes it (a new session).
const node = 'require("node:child_process").spawn("sleep", ["60"], { stdio: "ignore" });'
  + 'const escaped = require("node:child_process").spawn("sleep", ["61"], { stdio: "ignore", detached: true });'
  + 'require("node:fs").writeFileSync(process.env.DSLAB_DATA_DIR + "/escaped.pid", String(escaped.pid));'
  + 'require("node:net").createServer().listen(Number(process.env.DSLAB_PORT), "0.0.0.0");';
const result = await runtime.start({
  id: "n1", argv: [process.execPath, "-e", node], cwd: dir, env: {}, port: await freePort(),
  peers: [], dataDir: dir + "/data", tmpDir: dir + "/tmp",
});
console.log(JSON.stringify({ pgid, ok: result.ok }));
// The test checks the group first, then says "go" on stdin.
process.stdin.once("data", () => {
  if (process.env.MODE === "exit") process.exit(0);
  if (process.env.MODE === "throw") throw new Error("harness bug");
});
setInterval(() => {}, 1000);
`;

interface Started {
  child: ChildProcess;
  pgid: number;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

async function startHarness(mode: string, dir: string): Promise<Started> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", HARNESS], {
    env: { ...process.env, MODE: mode, RUN_DIR: dir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once("line", resolve)),
    sleep(15_000, "timeout"),
  ]);
  expect(first, `the harness printed nothing; its stderr:\n${stderr}`).not.toBe("timeout");
  const report = JSON.parse(first) as { pgid: number; ok: boolean };
  expect(report.ok).toBe(true);
  expect(await liveProcessesInGroup(report.pgid)).toHaveLength(2);
  return { child, pgid: report.pgid, exited };
}

/** Polls until no process of the group runs, up to limitMs. */
async function groupGoneWithin(pgid: number, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if ((await liveProcessesInGroup(pgid)).length === 0) return true;
    await sleep(100);
  }
  return false;
}

describe("reaper: no orphans when the harness ends", () => {
  let dir: string;
  const leftovers: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dslab-reaper-"));
  });

  afterAll(async () => {
    for (const pgid of leftovers) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone, as it should be
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("the watchdog kills the node's group, and what escaped it, when the harness is SIGKILLed", async () => {
    const runDir = join(dir, "sigkill");
    const { child, pgid, exited } = await startHarness("hang", runDir);
    leftovers.push(pgid);
    const escaped = Number(await readFile(join(runDir, "data", "escaped.pid"), "utf8"));
    leftovers.push(escaped);
    expect(escaped).not.toBe(pgid);
    child.kill("SIGKILL");
    expect((await exited).signal).toBe("SIGKILL");
    expect(await groupGoneWithin(pgid, 5_000)).toBe(true);
    // Found by the reaper's environment tag: it left the group the watchdog kills.
    expect(await groupGoneWithin(escaped, 5_000)).toBe(true);
  });

  it("kills the node's group, and what escaped it, when the harness exits normally", async () => {
    const runDir = join(dir, "exit");
    const { child, pgid, exited } = await startHarness("exit", runDir);
    leftovers.push(pgid);
    const escaped = Number(await readFile(join(runDir, "data", "escaped.pid"), "utf8"));
    leftovers.push(escaped);
    child.stdin?.write("go\n");
    expect((await exited).code).toBe(0);
    expect(await groupGoneWithin(pgid, 2_000)).toBe(true);
    expect(await groupGoneWithin(escaped, 2_000)).toBe(true);
  });

  it("kills the node's group on SIGTERM, and the harness still dies by the signal", async () => {
    const { child, pgid, exited } = await startHarness("hang", join(dir, "sigterm"));
    leftovers.push(pgid);
    child.kill("SIGTERM");
    expect((await exited).signal).toBe("SIGTERM");
    expect(await groupGoneWithin(pgid, 2_000)).toBe(true);
  });

  it("kills the node's group when the harness dies of an uncaught error", async () => {
    const { child, pgid, exited } = await startHarness("throw", join(dir, "throw"));
    leftovers.push(pgid);
    child.stdin?.write("go\n");
    expect((await exited).code).not.toBe(0);
    expect(await groupGoneWithin(pgid, 2_000)).toBe(true);
  });
});
