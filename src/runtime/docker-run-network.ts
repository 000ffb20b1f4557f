/**
 * One run's private network: an internal Docker bridge (no route out), labelled with the run.
 * Docker still gives the host an address on an internal bridge, so a node could dial a
 * listener on the host through it; an iptables rule (tagged with the run id, removed with the
 * network) drops every new connection a container opens towards the host.
 */
import type Dockerode from "dockerode";
import { execa } from "execa";
import { RUN_LABEL, runLabels } from "./docker-engine.ts";

export interface RunNetwork {
  readonly name: string;
  readonly bridge: string;
  remove(): Promise<void>;
}

/** The iptables rule that keeps a run's containers from opening connections to the host. */
function hostBlockRule(bridge: string, runId: string): string[] {
  return [
    "INPUT",
    "-i",
    bridge,
    "-m",
    "conntrack",
    "--ctstate",
    "NEW",
    "-m",
    "comment",
    "--comment",
    `${RUN_LABEL}=${runId}`,
    "-j",
    "DROP",
  ];
}

export async function createRunNetwork(docker: Dockerode, runId: string): Promise<RunNetwork> {
  const name = `dslab-${runId}`;
  const bridge = `dsl${runId}`.slice(0, 15);
  const network = await docker.createNetwork({
    Name: name,
    Internal: true,
    Labels: runLabels(runId),
    Options: { "com.docker.network.bridge.name": bridge },
  });
  const rule = hostBlockRule(bridge, runId);
  const blocked = await execa("iptables", ["-I", ...rule], { reject: false, timeout: 10_000 });
  if (blocked.exitCode !== 0) {
    await network.remove().catch(() => undefined);
    throw new Error(
      `could not isolate the run's network from the host (iptables -I ${rule.join(" ")}: ${blocked.stderr || blocked.shortMessage}); the docker runtime needs root and iptables`,
    );
  }
  return {
    name,
    bridge,
    remove: async () => {
      await removeHostBlockRules(runId);
      await network.remove();
    },
  };
}

/** Deletes the iptables rules of a run (every run's when runId is undefined). */
export async function removeHostBlockRules(runId?: string): Promise<number> {
  const listed = await execa("iptables", ["-S", "INPUT"], { reject: false, timeout: 10_000 });
  const mine = listed.stdout
    .split("\n")
    .filter((line) => line.includes(`${RUN_LABEL}=${runId ?? ""}`) && line.startsWith("-A "));
  for (const line of mine) {
    const args = line.slice(3).split(" ");
    await execa("iptables", ["-D", ...args.map(unquote)], { reject: false, timeout: 10_000 });
  }
  return mine.length;
}

function unquote(arg: string): string {
  return arg.replace(/^"(.*)"$/, "$1");
}
