/**
 * No orphans: every process group the harness starts (nodes, toxiproxy-server, builds) is
 * tracked here, and killed when the harness exits normally, on SIGINT / SIGTERM / SIGHUP, on
 * an uncaught error, and (through a detached watchdog) when the harness itself is SIGKILLed.
 * Each of those processes also carries DSLAB_REAPER=<this harness's tag> in its environment,
 * which its children inherit: the watchdog kills whatever still carries the tag, so a process
 * that left its group (setsid) or was spawned a moment before the harness died goes too; and
 * the cgroups the harness made for builds and nodes (cgroup.ts) are emptied and removed, which
 * also takes a process that left its group and cleared its environment.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cgroupSupport, killEveryCgroupSync } from "./cgroup.ts";

const tracked = new Map<number, string>();
const groupsFile = join(tmpdir(), `dslab-reaper-${process.pid}.pgids`);
/** Unique to this harness process (a pid alone may be reused). */
const tag = `${process.pid}-${randomBytes(6).toString("hex")}`;
export const REAPER_ENV = "DSLAB_REAPER";
let installed = false;
/** The harness stops cleanly on SIGINT / SIGTERM itself (abortOnSignals). */
let signalsHandedOver = false;
/** Without a watchdog (sh missing) there is no one to read the file. */
let watchdogRunning = false;

/** Registers a process group (a detached child's pid) to be killed if the harness dies. */
export function trackProcessGroup(pgid: number, label: string): void {
  install();
  tracked.set(pgid, label);
  writeGroupsFile();
}

/** The environment marker for a process the harness starts (installs the watchdog). */
export function reaperTag(): Record<string, string> {
  install();
  return { [REAPER_ENV]: tag };
}

/**
 * The caller stops the run on SIGINT / SIGTERM, cleans up and exits (or kills the tracked
 * groups itself if that takes too long): until then the groups stay, since the cleanup needs
 * them (the final heal talks to the run's Toxiproxy).
 */
export function handOverSignals(): void {
  signalsHandedOver = true;
}

/** The group is gone (or handed over): stop tracking it. */
export function untrackProcessGroup(pgid: number): void {
  if (tracked.delete(pgid)) writeGroupsFile();
}

/**
 * SIGKILLs every tracked group, every cgroup of ours and every process carrying this
 * harness's tag, synchronously (it runs inside 'exit' handlers).
 */
export function killTrackedGroups(): void {
  for (const pgid of tracked.keys()) killGroup(pgid, "SIGKILL");
  killEveryCgroupSync();
  tracked.clear();
  writeGroupsFile();
  if (installed) for (const pid of taggedProcesses()) killQuietly(pid);
}

/** Processes whose environment holds DSLAB_REAPER=<tag> (ours: the harness's own has none). */
function taggedProcesses(): number[] {
  const marker = Buffer.from(`\0${REAPER_ENV}=${tag}\0`);
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // A leading NUL so that the first variable matches like the others.
      const environ = Buffer.concat([Buffer.from("\0"), readFileSync(`/proc/${name}/environ`)]);
      if (environ.includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
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
      if (signalsHandedOver && signal !== "SIGHUP") return;
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
 * harness, kills the groups listed in the file, then sweeps /proc for processes still carrying
 * the tag until none is left, at least three rounds (one may have been exec'ing as the harness
 * died), and empties and removes the harness's cgroups (v2: cgroup.kill; v1: SIGKILL each
 * member, then thaw). The harness is known by its pid and start time: a zombie, or its pid reused by another
 * process (pids wrap at 32768 on many machines), counts as dead.
 */
const WATCHDOG_SCRIPT = `
p=$1; f=$2; tag=$3; kind=$4; cg=$5
since=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f20)
alive() {
  s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || return 1
  set -- $s
  [ "$1" != Z ] && [ "\${20}" = "$since" ]
}
while alive; do sleep 0.5; done
if [ -f "$f" ]; then
  for g in $(cat "$f"); do kill -KILL -"$g" 2>/dev/null; done
  rm -f "$f"
fi
if [ -n "$cg" ]; then
  for round in 1 2 3 4 5 6 7 8 9 10; do
    for d in "$cg"/*/; do
      [ -d "$d" ] || continue
      if [ "$kind" = v2 ]; then echo 1 > "$d/cgroup.kill"
      else for q in $(cat "$d/cgroup.procs"); do kill -KILL "$q"; done; echo THAWED > "$d/freezer.state"
      fi 2>/dev/null
      rmdir "$d" 2>/dev/null
    done
    { [ ! -d "$cg" ] || rmdir "$cg" 2>/dev/null; } && break
    sleep 0.2
  done
fi
for round in 1 2 3 4 5 6 7 8 9 10; do
  found=
  for e in /proc/[0-9]*/environ; do
    if grep -qzx "${REAPER_ENV}=$tag" "$e" 2>/dev/null; then
      q=\${e#/proc/}; q=\${q%/environ}
      kill -KILL "$q" 2>/dev/null && found=1
    fi
  done
  [ -z "$found" ] && [ "$round" -ge 3 ] && break
  sleep 0.2
done
`;

function startWatchdog(): void {
  watchdogRunning = true;
  writeGroupsFile();
  // Not with the tag of a harness that started this one (grade-all's): its sweep would kill it.
  const { [REAPER_ENV]: _parentTag, ...env } = process.env;
  const cgroups = cgroupSupport();
  const [kind, parent] = cgroups.available ? [cgroups.kind, cgroups.parent] : ["", ""];
  const watchdog = spawn(
    "sh",
    ["-c", WATCHDOG_SCRIPT, "dslab-reaper", String(process.pid), groupsFile, tag, kind, parent],
    { detached: true, stdio: "ignore", env },
  );
  watchdog.on("error", () => {
    watchdogRunning = false;
    rmSync(groupsFile, { force: true });
  });
  watchdog.unref();
}
