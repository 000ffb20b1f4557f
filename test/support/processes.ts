/** Which processes still run inside a directory: what a dead harness must not leave behind. */
import { readdir, readlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Pids whose working directory is `dir` or below it (also when it has been deleted). */
export async function processesWorkingUnder(dir: string): Promise<number[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const cwds = await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/cwd`).catch(() => "")));
  return pids
    .filter((_, i) => {
      const cwd = (cwds[i] ?? "").replace(/ \(deleted\)$/, "");
      return cwd === dir || cwd.startsWith(`${dir}/`);
    })
    .map(Number);
}

/** Polls until nothing runs under `dir`, up to limitMs; returns what is still there. */
export async function processesLeftUnder(dir: string, limitMs: number): Promise<number[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const left = await processesWorkingUnder(dir);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(100);
  }
}
