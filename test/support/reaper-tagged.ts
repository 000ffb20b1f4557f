/** Processes a harness started: they carry DSLAB_REAPER=<harness pid>-... in their environment. */
import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { REAPER_ENV } from "../../src/runtime/reaper.ts";

/** Pids of live processes tagged by the harness whose pid is `harnessPid`. */
export async function processesTaggedBy(harnessPid: number): Promise<number[]> {
  const marker = `\0${REAPER_ENV}=${harnessPid}-`;
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const environs = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/environ`, "latin1").catch(() => "")),
  );
  return pids.filter((_, i) => `\0${environs[i]}`.includes(marker)).map(Number);
}

/** Polls until the harness left no tagged process, up to limitMs; returns what is left. */
export async function taggedLeftAfter(harnessPid: number, limitMs: number): Promise<number[]> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const left = await processesTaggedBy(harnessPid);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(100);
  }
}
