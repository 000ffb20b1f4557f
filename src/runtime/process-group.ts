/**
 * A node's process group as Linux's /proc shows it: a node may fork helpers, and all of them
 * count (for memory) and must be gone (after a kill).
 */
import { readdir, readFile } from "node:fs/promises";

interface GroupMember {
  pid: number;
  /** One letter from /proc/<pid>/stat: R, S, D, T, Z, ... */
  state: string;
}

async function groupMembers(pgid: number): Promise<GroupMember[]> {
  const entries = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const members = await Promise.all(
    entries.map(async (name) => {
      const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => undefined);
      if (stat === undefined) return undefined;
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[2]) === pgid ? { pid: Number(name), state: fields[0] ?? "" } : undefined;
    }),
  );
  return members.filter((m): m is GroupMember => m !== undefined).sort((a, b) => a.pid - b.pid);
}

/**
 * Process ids in the group that are still running (zombies excluded: they hold no memory,
 * sockets or files, and reaping them is their new parent's business).
 */
export async function liveProcessesInGroup(pgid: number): Promise<number[]> {
  return (await groupMembers(pgid)).filter((m) => m.state !== "Z").map((m) => m.pid);
}

/** Sum of VmRSS over the processes, in KiB; processes that vanish meanwhile count as 0. */
export async function rssKiB(pids: number[]): Promise<number> {
  const sizes = await Promise.all(
    pids.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match ? Number(match[1]) : 0;
    }),
  );
  return sizes.reduce((sum, kib) => sum + kib, 0);
}
