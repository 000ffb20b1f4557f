/**
 * Which processes a harness left behind: those still working inside a directory, or still
 * carrying its DSLAB_REAPER tag (DSLAB_REAPER=<harness pid>-... in their environment).
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { REAPER_ENV } from "../../src/host/reaper.ts";

async function livePids(): Promise<string[]> {
  return (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
}

/** Pids whose working directory is `dir` or below it (also when it has been deleted). */
export async function processesWorkingUnder(dir: string): Promise<number[]> {
  const pids = await livePids();
  const cwds = await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/cwd`).catch(() => "")));
  return pids
    .filter((_, i) => {
      const cwd = (cwds[i] ?? "").replace(/ \(deleted\)$/, "");
      return cwd === dir || cwd.startsWith(`${dir}/`);
    })
    .map(Number);
}

/** Pids of live processes tagged by the harness whose pid is `harnessPid`. */
export async function processesTaggedBy(harnessPid: number): Promise<number[]> {
  const marker = `\0${REAPER_ENV}=${harnessPid}-`;
  const pids = await livePids();
  const environs = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/environ`, "latin1").catch(() => "")),
  );
  return pids.filter((_, i) => `\0${environs[i]}`.includes(marker)).map(Number);
}

/** Polls `find` until it finds nothing, up to limitMs; returns what it last found. */
async function leftAfter(find: () => Promise<number[]>, limitMs: number): Promise<number[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const left = await find();
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(100);
  }
}

/** Polls until nothing runs under `dir`, up to limitMs; returns what is still there. */
export function processesLeftUnder(dir: string, limitMs: number): Promise<number[]> {
  return leftAfter(() => processesWorkingUnder(dir), limitMs);
}

/** Polls until the harness left no tagged process, up to limitMs; returns what is left. */
export function taggedLeftAfter(harnessPid: number, limitMs: number): Promise<number[]> {
  return leftAfter(() => processesTaggedBy(harnessPid), limitMs);
}
