/**
 * Starts a program as the leader of a new session (its own process group), tracked by the
 * reaper and tagged with the reaper's environment marker, so that neither it nor anything it
 * forks outlives the harness. Output is streamed to the caller, never buffered here.
 */
import type { Readable } from "node:stream";
import { execa } from "execa";
import { killGroup, reaperTag, trackProcessGroup, untrackProcessGroup } from "./reaper.ts";

export interface GroupLeader {
  pid: number;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Resolves when the leader exits; whatever it left in its group is killed then. */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export interface GroupLeaderOptions {
  cwd?: string;
  /** On top of the harness's own environment. */
  env: Record<string, string>;
  /** How the reaper names it in its bookkeeping. */
  label: string;
}

/** The leader, or why it could not be spawned (e.g. ENOENT). */
export async function spawnGroupLeader(
  file: string,
  args: string[],
  options: GroupLeaderOptions,
): Promise<GroupLeader | { error: string }> {
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: { ...reaperTag(), ...options.env },
    detached: true,
    stdin: "ignore",
    buffer: false,
    reject: false,
    cleanup: false,
    forceKillAfterDelay: false,
  });
  const pid = subprocess.pid;
  if (pid === undefined) {
    return { error: (await subprocess).shortMessage ?? `could not spawn ${file}` };
  }
  trackProcessGroup(pid, options.label);
  const child = subprocess.nodeChildProcess;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      killGroup(pid, "SIGKILL");
      untrackProcessGroup(pid);
      resolve({ code, signal });
    });
  });
  // reject: false, so the promise settles with a result; nothing to await beyond the exit.
  void subprocess.catch(() => undefined);
  return { pid, stdout: child.stdout, stderr: child.stderr, exited };
}
