import { spawnSync } from "node:child_process";
import { cp, lstat, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createCgroup } from "../host/cgroup.ts";
import { spawnGroupLeader } from "../host/group-leader.ts";
import { killGroup } from "../host/reaper.ts";
import { activeSandbox, giveToSandbox, runAs } from "../host/sandbox.ts";
import { BuildOutput } from "./build-output.ts";
import { leftOutOfCopy } from "./copy-filter.ts";
import type { Manifest } from "./manifest.ts";
import { isOutDir } from "./out-dir.ts";

export const BUILD_TIME_LIMIT_MS = 5 * 60_000;
const BUILD_LOG_LIMIT = 256 * 1024;
/** After the build's shell exits, how long its last output may take to be read. */
const OUTPUT_DRAIN_MS = 500;
const KILL_LIMIT_MS = 5_000;

export interface BuildResult {
  ok: boolean;
  /** Where the submission was copied and built; nodes run from here. */
  dir: string;
  durationMs: number;
  /** Why it failed, in a sentence. */
  reason?: string;
  logPath: string;
  logTail: string;
}

/**
 * Copies the submission (symlinks dereferenced, so the student's tree is never written) and runs
 * its build command without network access where the machine allows (a new network namespace),
 * within the time limit: at the limit everything it started is killed and the result is given
 * then, whoever still holds its output open. The log is kept in build.log (up to 64 MiB); the
 * result carries its tail.
 */
export async function buildSubmission(
  submissionDir: string,
  manifest: Manifest,
  outDir: string,
  timeLimitMs = BUILD_TIME_LIMIT_MS,
  signal?: AbortSignal,
): Promise<BuildResult> {
  const dir = join(outDir, "build");
  const logPath = join(outDir, "build.log");
  // An earlier copy is replaced only in a directory dslab made its own (prepareOutDir).
  if (!(await isOutDir(outDir)) && (await lstat(dir).catch(() => undefined))) {
    throw new Error(`${dir} exists and is not dslab's: the build will not replace it`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await cp(submissionDir, dir, {
    recursive: true,
    dereference: true,
    filter: (source) => !leftOutOfCopy(source),
  });
  if (!manifest.build) {
    await writeFile(logPath, "(no build command in dslab.json)\n");
    return { ok: true, dir, durationMs: 0, logPath, logTail: "" };
  }
  const started = performance.now();
  const offline = canIsolateNetwork();
  const sandbox = activeSandbox();
  const home = join(outDir, "build-home");
  if (sandbox) {
    // The build writes its copy and its caches (pip, Go, ...) as the sandbox user.
    await mkdir(home, { recursive: true });
    await giveToSandbox(sandbox, dir);
    await giveToSandbox(sandbox, home);
  }
  const [shell, shellArgs] = sandbox
    ? runAs(sandbox, "sh", ["-c", manifest.build])
    : ["sh", ["-c", manifest.build]];
  // The network namespace is made as root, then the user switched inside it.
  const argv = offline ? ["unshare", "--net", shell, ...shellArgs] : [shell, ...shellArgs];
  const command = `the build command "${manifest.build}"`;
  const cgroup = await createCgroup("build");
  // Its own process group (and cgroup), so that a timeout or the harness's death takes make's
  // children too, and whatever it leaves running (a daemon, a stray server) goes at its end.
  const build = await spawnGroupLeader(argv[0] as string, argv.slice(1), {
    cwd: dir,
    env: { DSLAB_BUILD: "1", ...(sandbox ? { HOME: home, PATH: sandbox.path } : {}) },
    label: "dslab build",
    cgroup,
  });
  if ("error" in build) {
    await cgroup?.kill(KILL_LIMIT_MS);
    throw new Error(`could not start ${command}: ${build.error}`);
  }
  const output = new BuildOutput([build.stdout, build.stderr]);
  let timedOut = false;
  const stop = () => {
    killGroup(build.pid, "SIGKILL");
    void cgroup?.kill(KILL_LIMIT_MS).catch(() => undefined);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeLimitMs);
  // Ctrl-C stops the build at once (the caller reports the run as interrupted).
  signal?.addEventListener("abort", stop, { once: true });
  const result = await build.exited;
  clearTimeout(timer);
  signal?.removeEventListener("abort", stop);
  // Without a cgroup, a process that left the group may hold the pipes open for as long as it
  // likes: its output is not worth waiting for.
  await output.drain(OUTPUT_DRAIN_MS);
  const durationMs = Math.round(performance.now() - started);
  const log = `${offline ? "" : "(network isolation unavailable here: built with network)\n"}${cgroup ? "" : "(no cgroup here: a process that leaves the build's process group may outlive it)\n"}$ ${manifest.build}\n${output.text()}\n`;
  await writeFile(logPath, log);
  const logTail = log.length > BUILD_LOG_LIMIT ? log.slice(-BUILD_LOG_LIMIT) : log;
  const built = { dir, durationMs, logPath, logTail };
  if (timedOut) {
    const limit = `${timeLimitMs / 1000} s`;
    return {
      ok: false,
      ...built,
      reason: `${command} did not finish within ${limit} and was killed`,
    };
  }
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
    return { ok: false, ...built, reason: `${command} ${how}; see ${logPath}` };
  }
  return { ok: true, ...built };
}

let isolationAvailable: boolean | undefined;
/** Root (or user namespaces) can give the build a network namespace with only loopback. */
function canIsolateNetwork(): boolean {
  isolationAvailable ??= spawnSync("unshare", ["--net", "true"], { stdio: "ignore" }).status === 0;
  return isolationAvailable;
}
