/**
 * Nothing of a run is left behind: removeRun() deletes its containers, networks, volumes and
 * iptables rules; a detached watchdog does the same with the docker CLI if the harness is
 * killed (SIGKILL runs no handler); `dslab clean` removes what runs of dead harnesses left.
 */
import { spawn } from "node:child_process";
import type Dockerode from "dockerode";
import { PID_LABEL, RUN_LABEL } from "../host/docker-engine.ts";
import {
  deleteIsolationRules,
  listIsolationRules,
  removeIsolationRules,
} from "./docker-run-network.ts";

export async function removeRun(docker: Dockerode, runId: string): Promise<number> {
  const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
  return removeMatching(docker, filters, runId);
}

/** Removes every labelled object whose harness is no longer alive; returns how many. */
export async function cleanDeadRuns(docker: Dockerode): Promise<number> {
  const filters = JSON.stringify({ label: [RUN_LABEL] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const runs = new Map<string, string>();
  for (const labels of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels)]) {
    const run = labels?.[RUN_LABEL];
    if (run) runs.set(run, labels?.[PID_LABEL] ?? "");
  }
  let removed = 0;
  for (const [run, pid] of runs) {
    if (pid && isAlive(Number(pid))) continue;
    removed += await removeRun(docker, run);
  }
  return removed + (await removeOrphanRules(docker, filters));
}

/**
 * Deletes the rules of runs whose network is gone (a killed watchdog, a pruned network), live
 * runs or not. A run adds its rules after creating its network, so listing the rules before
 * the networks never takes a run that is starting for an orphan.
 */
async function removeOrphanRules(docker: Dockerode, filters: string): Promise<number> {
  const rules = await listIsolationRules();
  const networks = await docker.listNetworks({ filters });
  const withNetwork = new Set(networks.map((n) => n.Labels?.[RUN_LABEL]));
  return deleteIsolationRules(rules.filter((rule) => !withNetwork.has(rule.runId)));
}

async function removeMatching(docker: Dockerode, filters: string, runId: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.allSettled(
    containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.allSettled(networks.map((n) => docker.getNetwork(n.Id).remove()));
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.allSettled((volumes ?? []).map((v) => docker.getVolume(v.Name).remove()));
  const rules = await removeIsolationRules(runId);
  return containers.length + networks.length + (volumes?.length ?? 0) + rules;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits for the harness to die (a zombie counts), then removes the run with the docker CLI. */
const WATCHDOG_SCRIPT = `
p=$1; run=$2
while kill -0 "$p" 2>/dev/null; do
  state=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
  [ "$state" = Z ] && break
  sleep 0.5
done
ids=$(docker ps -aq --filter "label=${RUN_LABEL}=$run")
[ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
nets=$(docker network ls -q --filter "label=${RUN_LABEL}=$run")
[ -n "$nets" ] && docker network rm $nets >/dev/null 2>&1
for chain in INPUT DOCKER-USER; do
  iptables -S "$chain" 2>/dev/null | grep -E -- '--comment "?${RUN_LABEL}='"$run"'"? ' | sed 's/^-A //' | while read -r rule; do
    eval "iptables -D $rule" 2>/dev/null
  done
done
`;

export interface RunWatchdog {
  stop(): void;
}

export function startRunWatchdog(runId: string): RunWatchdog {
  const watchdog = spawn(
    "sh",
    ["-c", WATCHDOG_SCRIPT, "dslab-docker-watchdog", String(process.pid), runId],
    { detached: true, stdio: "ignore" },
  );
  watchdog.on("error", () => undefined);
  watchdog.unref();
  return {
    stop: () => {
      if (watchdog.exitCode === null && watchdog.pid !== undefined) watchdog.kill("SIGKILL");
    },
  };
}
