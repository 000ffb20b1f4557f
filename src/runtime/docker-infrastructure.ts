/**
 * A Docker run: a private internal network, one Toxiproxy container carrying every link, and
 * one sandboxed container per node, all labelled with the run id; a watchdog removes them if
 * the harness is killed, and stop() removes them otherwise.
 */

import {
  dockerClient,
  newRunId,
  RUNTIME_IMAGE,
  requireImages,
  TOXIPROXY_IMAGE,
} from "../host/docker-engine.ts";
import { FaultNetwork } from "../net/fault-network.ts";
import { startToxiproxyContainer } from "../net/toxiproxy-container.ts";
import { removeRun, startRunWatchdog } from "./docker-clean.ts";
import { createRunNetwork } from "./docker-run-network.ts";
import { DockerRuntime, NODE_PEER_PORT, NODE_PORT } from "./docker-runtime.ts";
import {
  type InfrastructureOptions,
  type RunInfrastructure,
  traceRepair,
} from "./infrastructure.ts";

export async function startDockerInfrastructure(
  options: InfrastructureOptions,
): Promise<RunInfrastructure> {
  const docker = await dockerClient();
  const image = options.image ?? RUNTIME_IMAGE;
  await requireImages(docker, [TOXIPROXY_IMAGE, image]);
  const runId = newRunId();
  const watchdog = startRunWatchdog(runId);
  try {
    const runNetwork = await createRunNetwork(docker, runId);
    const toxiproxy = await startToxiproxyContainer(docker, runId, runNetwork.name);
    const network = new FaultNetwork(toxiproxy.apiUrl, {
      listenHost: "0.0.0.0",
      onRepair: traceRepair(options),
      // A server deadlocked past repair: the container restarts; every address stays.
      restartServer: () => toxiproxy.restart(),
    });
    const runtime = new DockerRuntime({
      ...options,
      docker,
      runId,
      network: runNetwork.name,
      image,
      timeScale: Math.max(1, options.timeScale),
    });
    const multi = options.nodes.length > 1;
    return {
      network,
      runtime,
      // The spec carries the ports nodes listen on inside their containers.
      nodePorts: () =>
        multi ? { port: NODE_PORT, peerPort: NODE_PEER_PORT } : { port: NODE_PORT },
      addLink: async (link) => {
        const at = toxiproxy.allocate(link.port);
        const upstream = `${link.to}:${link.port === "client" ? NODE_PORT : NODE_PEER_PORT}`;
        await network.addLink(link.name, upstream, at.listenPort);
        return { host: at.host, port: at.port };
      },
      stop: async () => {
        try {
          await runtime.stopAll().catch(() => undefined);
          await toxiproxy.stop().catch(() => undefined);
          await runNetwork.remove().catch(() => undefined);
          await removeRun(docker, runId);
        } finally {
          watchdog.stop();
        }
      },
    };
  } catch (error) {
    await removeRun(docker, runId).catch(() => undefined);
    watchdog.stop();
    throw error;
  }
}
