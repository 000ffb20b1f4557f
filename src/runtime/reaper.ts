/**
 * No orphans: every process group the harness starts (nodes, toxiproxy-server) is tracked
 * here, and killed when the harness exits normally, on SIGINT / SIGTERM / SIGHUP, on an
 * uncaught error, and (through a detached watchdog) when the harness itself is SIGKILLed.
 */
import { spawn } from "node:child_process";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const tracked = new Map<number, string>();
const groupsFile = join(tmpdir(), `dslab-reaper-${process.pid}.pgids`);
let installed = false;
/** Without a watchdog (sh missing) there is no one to read the file. */
let watchdogRunning = false;

/** Registers a process group (a detached child's pid) to be killed if the harness dies. */
export function trackProcessGroup(pgid: number, label: string): void {
  install();
  tracked.set(pgid, label);
  writeGroupsFile();
}

/** The group is gone (or handed over): stop tracking it. */
export function untrackProcessGroup(pgid: number): void {
  if (tracked.delete(pgid)) writeGroupsFile();
}

/** SIGKILLs every tracked group, synchronously (it runs inside 'exit' handlers). */
export function killTrackedGroups(): void {
  for (const pgid of tracked.keys()) killGroup(pgid, "SIGKILL");
  tracked.clear();
  writeGroupsFile();
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killTrackedGroups);
  process.on("uncaughtExceptionMonitor", killTrackedGroups);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killTrackedGroups();
      // Alone on this signal, we must not swallow it: die by it as the default would.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
  startWatchdog();
}

function writeGroupsFile(): void {
  if (!watchdogRunning) return;
  const staging = `${groupsFile}.${process.hrtime.bigint()}`;
  writeFileSync(staging, [...tracked.keys()].map((pgid) => `${pgid}\n`).join(""));
  renameSync(staging, groupsFile);
}

/**
 * A SIGKILLed harness runs no handler, so a tiny shell loop in its own session polls the
 * harness (a zombie counts as dead) and then kills the groups listed in the file.
 */
const WATCHDOG_SCRIPT = `
p=$1; f=$2
while kill -0 "$p" 2>/dev/null; do
  state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
  [ "$state" = Z ] && break
  sleep 0.5
done
if [ -f "$f" ]; then
  for g in $(cat "$f"); do kill -KILL -"$g" 2>/dev/null; done
  rm -f "$f"
fi
`;

function startWatchdog(): void {
  watchdogRunning = true;
  writeGroupsFile();
  const watchdog = spawn(
    "sh",
    ["-c", WATCHDOG_SCRIPT, "dslab-reaper", String(process.pid), groupsFile],
    { detached: true, stdio: "ignore" },
  );
  watchdog.on("error", () => {
    watchdogRunning = false;
    rmSync(groupsFile, { force: true });
  });
  watchdog.unref();
}
