/**
 * One run's private network: an internal Docker bridge (no route out), labelled with the run.
 * Docker still gives the host an address on an internal bridge, so a node could dial a
 * listener on the host through it; iptables rules (tagged with the run id, removed with the
 * network) drop that, and a node's connections to Toxiproxy's API.
 */
import type Dockerode from "dockerode";
import { execa } from "execa";
import { RUN_LABEL, runLabels } from "../host/docker-engine.ts";

export interface RunNetwork {
  readonly name: string;
  readonly bridge: string;
  remove(): Promise<void>;
}

/** Toxiproxy's API port inside its container: nodes must not reconfigure their own faults. */
export const TOXIPROXY_API_PORT = 8474;
const CHAINS = ["INPUT", "DOCKER-USER"] as const;

/**
 * The run's iptables rules: no new connection from a container to the host (INPUT), and none
 * from a node to Toxiproxy's API (bridged traffic, seen by DOCKER-USER through br_netfilter).
 */
function isolationRules(bridge: string, runId: string): string[][] {
  const tag = ["-m", "comment", "--comment", `${RUN_LABEL}=${runId}`, "-j", "DROP"];
  return [
    ["INPUT", "-i", bridge, "-m", "conntrack", "--ctstate", "NEW", ...tag],
    [
      "DOCKER-USER",
      "-i",
      bridge,
      "-o",
      bridge,
      "-p",
      "tcp",
      "--dport",
      String(TOXIPROXY_API_PORT),
      ...tag,
    ],
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
  for (const rule of isolationRules(bridge, runId)) {
    const added = await execa("iptables", ["-I", ...rule], { reject: false, timeout: 10_000 });
    if (added.exitCode !== 0) {
      await removeIsolationRules(runId);
      await network.remove().catch(() => undefined);
      throw new Error(
        `could not isolate the run's network (iptables -I ${rule.join(" ")}: ${added.stderr || added.shortMessage}); the docker runtime needs root and iptables`,
      );
    }
  }
  return {
    name,
    bridge,
    remove: async () => {
      await removeIsolationRules(runId);
      await network.remove();
    },
  };
}

/** One of the runs' iptables rules, as `iptables -D` takes it. */
export interface IsolationRule {
  runId: string;
  args: string[];
}

/** Every run's iptables rules, found by their comment `dslab.run=<run id>`. */
export async function listIsolationRules(): Promise<IsolationRule[]> {
  const rules: IsolationRule[] = [];
  for (const chain of CHAINS) {
    const listed = await execa("iptables", ["-S", chain], { reject: false, timeout: 10_000 });
    for (const line of listed.stdout.split("\n")) {
      if (!line.startsWith("-A ")) continue;
      const args = line.slice(3).split(" ").map(unquote);
      const at = args.indexOf("--comment");
      const comment = at >= 0 ? (args[at + 1] ?? "") : "";
      // The whole comment: run ids may be prefixes of one another.
      if (comment.startsWith(`${RUN_LABEL}=`)) {
        rules.push({ runId: comment.slice(RUN_LABEL.length + 1), args });
      }
    }
  }
  return rules;
}

export async function deleteIsolationRules(rules: IsolationRule[]): Promise<number> {
  let removed = 0;
  for (const rule of rules) {
    const deleted = await execa("iptables", ["-D", ...rule.args], {
      reject: false,
      timeout: 10_000,
    });
    if (deleted.exitCode === 0) removed += 1;
  }
  return removed;
}

/** Deletes the iptables rules of one run. */
export async function removeIsolationRules(runId: string): Promise<number> {
  const rules = await listIsolationRules();
  return deleteIsolationRules(rules.filter((rule) => rule.runId === runId));
}

function unquote(arg: string): string {
  return arg.replace(/^"(.*)"$/, "$1");
}
