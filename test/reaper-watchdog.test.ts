/**
 * The reaper's watchdog must outlive whatever sweeps a parent harness does: a grader started
 * by grade-all carries grade-all's reaper tag, and its watchdog must not, or grade-all's sweep
 * kills it and the grader's nodes outlive a SIGKILLed grader.
 */
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { REAPER_ENV } from "../src/host/reaper.ts";

const REAPER = new URL("../src/host/reaper.ts", import.meta.url).href;

async function watchdogOf(harnessPid: number): Promise<number | undefined> {
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const argv = (await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (argv.includes("dslab-reaper") && argv.includes(String(harnessPid))) return Number(name);
  }
  return undefined;
}

it("the watchdog does not carry the reaper tag of a harness that started this one", async () => {
  const harness = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { reaperTag } = await import(${JSON.stringify(REAPER)}); reaperTag(); setTimeout(() => {}, 10_000);`,
    ],
    { env: { ...process.env, [REAPER_ENV]: "grade-all-tag" }, stdio: "ignore" },
  );
  try {
    let watchdog: number | undefined;
    for (let i = 0; i < 50 && watchdog === undefined; i++) {
      await sleep(100);
      watchdog = await watchdogOf(harness.pid as number);
    }
    expect(watchdog).toBeDefined();
    const environ = await readFile(`/proc/${watchdog}/environ`, "utf8");
    expect(environ).not.toContain(`${REAPER_ENV}=`);
  } finally {
    harness.kill("SIGKILL");
  }
});
