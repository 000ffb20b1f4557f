/**
 * Starts a program as the leader of a new session (its own process group), tracked by the
 * reaper and tagged with the reaper's environment marker, so that neither it nor anything it
 * forks outlives the harness; given a cgroup, the program enters it before it runs (a shell
 * writes its own pid into it, then execs), so that nothing it starts can leave it. Output is
 * streamed to the caller, never buffered here.
 */
import { access, constants } from "node:fs/promises";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { execa } from "execa";
import type { Cgroup } from "./cgroup.ts";
import { killGroup, reaperTag, trackProcessGroup, untrackProcessGroup } from "./reaper.ts";
import { runAs, type SandboxUser } from "./sandbox.ts";

/** How long the leader's exit waits for its cgroup to empty (SIGKILL cannot be refused). */
const CGROUP_KILL_LIMIT_MS = 5_000;
/** $0 is the cgroup's procs file; the program and its arguments follow. */
const ENTER_CGROUP = 'echo $$ > "$0" && exec "$@"';

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
  /** Where it runs, and what is emptied and removed when the leader exits. */
  cgroup?: Cgroup;
  /** The user it runs as (after it has entered its cgroup, which only root may do). */
  runAs?: SandboxUser;
}

/** The leader, or why it could not be spawned (e.g. ENOENT). */
export async function spawnGroupLeader(
  file: string,
  args: string[],
  options: GroupLeaderOptions,
): Promise<GroupLeader | { error: string }> {
  const { cgroup } = options;
  if (cgroup || options.runAs) {
    // A wrapper would start, and only its exec fail: say it as the spawn would.
    const missing = await notExecutable(file, options.cwd ?? process.cwd(), options.env.PATH);
    if (missing) return { error: missing };
  }
  const [program, programArgs] = options.runAs ? runAs(options.runAs, file, args) : [file, args];
  const [command, argv] = cgroup
    ? ["sh", ["-c", ENTER_CGROUP, cgroup.procsFile, program, ...programArgs]]
    : [program, programArgs];
  const subprocess = execa(command, argv, {
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
    child.once("exit", async (code, signal) => {
      killGroup(pid, "SIGKILL");
      untrackProcessGroup(pid);
      if (cgroup && !(await cgroup.kill(CGROUP_KILL_LIMIT_MS).catch(() => false))) {
        // Not a reason to hang the run: the harness's exit kills and removes it again.
        process.emitWarning(`${options.label}: ${cgroup.dir} was not empty after SIGKILL`);
      }
      resolve({ code, signal });
    });
  });
  // reject: false, so the promise settles with a result; nothing to await beyond the exit.
  void subprocess.catch(() => undefined);
  return { pid, stdout: child.stdout, stderr: child.stderr, exited };
}

/** Why `file` cannot be executed (spawn's words: ENOENT, EACCES), or undefined if it can. */
async function notExecutable(
  file: string,
  cwd: string,
  path = process.env.PATH ?? "",
): Promise<string | undefined> {
  const candidates = file.includes("/")
    ? [isAbsolute(file) ? file : resolve(cwd, file)]
    : path.split(delimiter).map((dir) => join(resolve(cwd, dir || "."), file));
  for (const candidate of candidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return undefined;
  }
  const exists = await Promise.all(
    candidates.map((c) =>
      access(c).then(
        () => true,
        () => false,
      ),
    ),
  );
  return `spawn ${file} ${exists.some(Boolean) ? "EACCES" : "ENOENT"}`;
}
