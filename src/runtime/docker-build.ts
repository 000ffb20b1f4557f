/**
 * The build of `--runtime docker`: the same copy of the submission as the process build, built
 * inside the node image (so binaries match the libraries they run with), with no network, as
 * the sandbox user, within the build time limit.
 */
import { chown, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { newRunId, RUNTIME_IMAGE, runLabels } from "../host/docker-engine.ts";
import { BUILD_TIME_LIMIT_MS, type BuildResult, buildSubmission } from "../lab/build.ts";
import type { Manifest } from "../lab/manifest.ts";
import { DEFAULT_SANDBOX_LIMITS, SANDBOX_USER, SUBMISSION_MOUNT } from "./docker-runtime.ts";

const BUILD_LOG_LIMIT = 256 * 1024;

export async function buildSubmissionInContainer(
  submissionDir: string,
  manifest: Manifest,
  outDir: string,
  timeLimitMs = BUILD_TIME_LIMIT_MS,
  signal?: AbortSignal,
): Promise<BuildResult> {
  // The copy only: the build command runs below, in the container.
  const copied = await buildSubmission(submissionDir, { ...manifest, build: undefined }, outDir);
  const { dir, logPath } = copied;
  // The sandbox user reads (and builds in) the copy, whatever the source's modes.
  await chownTree(dir);
  if (!manifest.build) return copied;
  const name = `dslab-build-${newRunId()}`;
  const labels = Object.entries(runLabels(name)).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  const started = performance.now();
  const result = await execa(
    "docker",
    [
      "run",
      "--rm",
      "--name",
      name,
      ...labels,
      "--network",
      "none",
      "--user",
      `${SANDBOX_USER.uid}:${SANDBOX_USER.gid}`,
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--read-only",
      "--tmpfs",
      "/tmp:rw,size=512m,mode=1777",
      "--memory",
      "2g",
      "--pids-limit",
      String(DEFAULT_SANDBOX_LIMITS.pids),
      "-e",
      "DSLAB_BUILD=1",
      "-v",
      `${dir}:${SUBMISSION_MOUNT}:rw`,
      "-w",
      SUBMISSION_MOUNT,
      manifest.image ?? RUNTIME_IMAGE,
      "sh",
      "-c",
      manifest.build,
    ],
    {
      all: true,
      reject: false,
      timeout: timeLimitMs,
      ...(signal ? { cancelSignal: signal } : {}),
      stdin: "ignore",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  // Killing the docker CLI (time limit, Ctrl-C) does not stop the container.
  if (result.timedOut || result.isCanceled) {
    await execa("docker", ["rm", "-f", name], { reject: false, timeout: 30_000 });
  }
  const durationMs = Math.round(performance.now() - started);
  const log = `(built in ${manifest.image ?? RUNTIME_IMAGE}, no network)\n$ ${manifest.build}\n${result.all ?? ""}\n`;
  await writeFile(logPath, log);
  const logTail = log.length > BUILD_LOG_LIMIT ? log.slice(-BUILD_LOG_LIMIT) : log;
  const base = { dir, durationMs, logPath, logTail };
  if (result.timedOut) {
    return {
      ...base,
      ok: false,
      reason: `the build command "${manifest.build}" did not finish within ${timeLimitMs / 1000} s and was killed`,
    };
  }
  if (result.exitCode !== 0) {
    return {
      ...base,
      ok: false,
      reason: `the build command "${manifest.build}" exited with ${result.exitCode} in the container; see ${logPath}`,
    };
  }
  return { ...base, ok: true };
}

async function chownTree(path: string): Promise<void> {
  await chown(path, SANDBOX_USER.uid, SANDBOX_USER.gid);
  if (!(await stat(path)).isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry));
}
