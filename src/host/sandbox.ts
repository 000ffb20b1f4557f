/**
 * The process runtime's sandbox user: when dslab runs as root, builds and nodes run as an
 * unprivileged uid of their own (setpriv: no supplementary groups, no new privileges), so that
 * they cannot read what the harness keeps private (the course file, its output, other
 * submissions' copies) and a firewall rule can tell their traffic from the harness's
 * (toxiproxy-firewall.ts). uid = gid = 2^30 + the harness's pid: two harnesses running at once
 * (grade-all's jobs) never share one, so one submission's nodes can neither read nor signal
 * another's. Active for the harness process once enterSandbox succeeds.
 */
import { spawnSync } from "node:child_process";
import { chmod, lchown, lstat, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface SandboxUser {
  uid: number;
  gid: number;
  /** The harness's PATH without the folders this user cannot search (root's home, say). */
  path: string;
}

export type SandboxStatus = { active: true; user: SandboxUser } | { active: false; why: string };

const SANDBOX_ID_BASE = 2 ** 30;
/** Every uid a sandbox user may have (pids stay below 2^22), as iptables writes a range. */
export const SANDBOX_UIDS = `${SANDBOX_ID_BASE}-${SANDBOX_ID_BASE + 2 ** 22}`;
/** Prints the folders of $0 (a PATH) that the user running it can search, one a line. */
const SEARCHABLE_PATH = 'IFS=:; for d in $0; do [ -x "$d" ] && echo "$d"; done; true';
let active: SandboxUser | undefined;

/** Whether this machine lets dslab run code as a sandbox user, and which (not yet active). */
export function sandboxSupport(): SandboxStatus {
  if (process.getuid?.() !== 0) return { active: false, why: "dslab does not run as root" };
  const id = SANDBOX_ID_BASE + process.pid;
  const user = { uid: id, gid: id, path: "" };
  const probe = spawnSync(...runAs(user, "sh", ["-c", SEARCHABLE_PATH, process.env.PATH ?? ""]), {
    encoding: "utf8",
  });
  if (probe.error) return { active: false, why: "setpriv (util-linux) is not installed" };
  if (probe.status !== 0) {
    return { active: false, why: `setpriv cannot switch to uid ${user.uid} (no CAP_SETUID?)` };
  }
  return {
    active: true,
    user: { ...user, path: probe.stdout.split("\n").filter(Boolean).join(":") },
  };
}

/**
 * Turns the sandbox on for this harness process, with outDir as the only place builds and
 * nodes need: every file the harness writes from now on is private to it (umask 077), and
 * outDir is searchable but not listable by others. Off, with the reason, where the machine
 * does not allow it or the sandbox user could not reach outDir.
 */
export async function enterSandbox(outDir: string): Promise<SandboxStatus> {
  const support = sandboxSupport();
  if (!support.active) return support;
  const reachable = spawnSync(...runAs(support.user, "sh", ["-c", 'cd "$0"', dirname(outDir)]));
  if (reachable.status !== 0) {
    return {
      active: false,
      why: `the sandbox user cannot reach ${dirname(outDir)} (a folder above it is not searchable by others: chmod o+x, or choose --out elsewhere)`,
    };
  }
  process.umask(0o077);
  await chmod(outDir, 0o711);
  active = support.user;
  return support;
}

/** The sandbox user when enterSandbox has turned it on. */
export function activeSandbox(): SandboxUser | undefined {
  return active;
}

/** The command line that runs `file args` as the sandbox user. */
export function runAs(user: SandboxUser, file: string, args: string[]): [string, string[]] {
  return [
    "setpriv",
    [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      "--clear-groups",
      "--no-new-privs",
      "--",
      file,
      ...args,
    ],
  ];
}

/**
 * Gives `dir` (and everything under it) to the sandbox user, and makes each folder above it
 * searchable by others (not listable) up to the first that already is (outDir, see
 * enterSandbox), so that the user can reach it.
 */
export async function giveToSandbox(user: SandboxUser, dir: string): Promise<void> {
  for (let above = dirname(dir); above !== dirname(above); above = dirname(above)) {
    const { mode } = await stat(above);
    if (mode & 0o001) break;
    await chmod(above, (mode & 0o7777) | 0o011);
  }
  await lchownTree(dir, user);
}

/** Symbolic links themselves, never what they point to. */
async function lchownTree(path: string, user: SandboxUser): Promise<void> {
  await lchown(path, user.uid, user.gid);
  if (!(await lstat(path)).isDirectory()) return;
  for (const entry of await readdir(path)) await lchownTree(join(path, entry), user);
}

/** Private again once the run is over: no later sandbox user (another submission's) may enter. */
export async function sealFromSandbox(outDir: string): Promise<void> {
  if (active) await chmod(outDir, 0o700).catch(() => undefined);
}
