/**
 * The local build step: the student's tree is copied (never written), the build runs in its
 * own process group, and nothing it starts outlives it: not a daemon it leaves behind, not a
 * compiler still running when the time limit kills it.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSubmission } from "../src/lab/build.ts";
import { runTests } from "../src/lab/run-lab.ts";
import { processesLeftUnder } from "./support/processes.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "dslab-build-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function submission(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

/** Whether the process whose pid the build wrote to `file` still runs, polled up to 3 s. */
async function stillRunsAfterWhile(file: string): Promise<boolean> {
  const pid = Number((await readFile(file, "utf8")).trim());
  expect(pid).toBeGreaterThan(0);
  for (let i = 0; i < 30; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    await sleep(100);
  }
  process.kill(pid, "SIGKILL");
  return true;
}

describe("buildSubmission", () => {
  it("builds a copy with symlinks dereferenced and keeps the log", async () => {
    const dir = await submission("ok", { "shared.txt": "shared\n" });
    await symlink(join(dir, "shared.txt"), join(dir, "link.txt"));
    const out = join(root, "out-ok");
    const result = await buildSubmission(
      dir,
      { lab: "rpc", build: "cat link.txt > built.txt && echo compiled", run: ["true"] },
      out,
    );
    expect(result).toMatchObject({ ok: true, dir: join(out, "build") });
    expect(await readFile(join(out, "build", "built.txt"), "utf8")).toBe("shared\n");
    expect(await readFile(result.logPath, "utf8")).toContain("compiled");
    await expect(readFile(join(dir, "built.txt"))).rejects.toThrow(/ENOENT/);
  });

  it("fails with the exit code and the log's place", async () => {
    const dir = await submission("fails", {});
    const result = await buildSubmission(
      dir,
      { lab: "rpc", build: "echo 'error: no rule' >&2; exit 2", run: ["true"] },
      join(root, "out-fails"),
    );
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/exited with 2; see .*build\.log/);
    expect(result.logTail).toContain("error: no rule");
  });

  it("kills a daemon the build leaves running", async () => {
    const dir = await submission("daemon", {});
    const pidFile = join(root, "daemon.pid");
    const result = await buildSubmission(
      dir,
      {
        lab: "rpc",
        build: `sleep 60 > /dev/null 2>&1 & echo $! > ${pidFile}`,
        run: ["true"],
      },
      join(root, "out-daemon"),
    );
    expect(result.ok).toBe(true);
    expect(await stillRunsAfterWhile(pidFile)).toBe(false);
  });

  it("kills the whole build, grandchildren too, at its time limit", async () => {
    const dir = await submission("slow", {});
    const pidFile = join(root, "slow.pid");
    const started = Date.now();
    const result = await buildSubmission(
      dir,
      // The shell waits on a grandchild, as make waits on a compiler.
      { lab: "rpc", build: `sh -c 'echo $$ > ${pidFile}; exec sleep 60'`, run: ["true"] },
      join(root, "out-slow"),
      1_000,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/did not finish within 1 s and was killed/);
    expect(await stillRunsAfterWhile(pidFile)).toBe(false);
  });

  it("stops at once on Ctrl-C, and the run is interrupted, not a failed build", async () => {
    const dir = await submission("interrupted", {
      "dslab.json": JSON.stringify({ lab: "rpc", build: "sleep 60", run: ["./server"] }),
    });
    const out = join(root, "out-interrupted");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_000);
    const started = Date.now();
    const summary = await runTests({
      lab: "rpc",
      submission: dir,
      seeds: [1],
      scenarios: ["clean"],
      timeScale: 1,
      outDir: out,
      signal: controller.signal,
      log: () => undefined,
      onResult: () => undefined,
      command: "bin/dslab",
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary.status).toBe("interrupted");
    expect(summary.results).toEqual([]);
    expect(await processesLeftUnder(out, 2_000)).toEqual([]);
  });
});
