/**
 * The Toxiproxy container of one Docker run (the @testcontainers/toxiproxy module): it sits on
 * the default bridge, where its API and the client links' ports are published to the host,
 * and on the run's internal network under the alias `toxiproxy`, where nodes reach their
 * peers' proxies. Client links listen on the module's published range (8666..8697), peer
 * links on ports from 20000 that only the internal network sees.
 */
import { ToxiProxyContainer } from "@testcontainers/toxiproxy";
import type Dockerode from "dockerode";
import type { StartedTestContainer } from "testcontainers";
import { runLabels, TOXIPROXY_IMAGE } from "../runtime/docker-engine.ts";

export const TOXIPROXY_ALIAS = "toxiproxy";
const API_PORT = 8474;
const FIRST_CLIENT_PORT = 8666;
const CLIENT_PORTS = 32;
const FIRST_PEER_PORT = 20_000;

export interface ToxiproxyContainer {
  /** The API as the host reaches it, e.g. http://127.0.0.1:32768 */
  readonly apiUrl: string;
  readonly containerId: string;
  /** The next port inside the container for a link, and where its dialer connects. */
  allocate(kind: "client" | "peer"): { listenPort: number; host: string; port: number };
  stop(): Promise<void>;
}

export async function startToxiproxyContainer(
  docker: Dockerode,
  runId: string,
  networkName: string,
): Promise<ToxiproxyContainer> {
  const started: StartedTestContainer = await new ToxiProxyContainer(TOXIPROXY_IMAGE)
    .withName(`dslab-${runId}-toxiproxy`)
    .withLabels(runLabels(runId))
    .withEnvironment({ LOG_LEVEL: "warn" })
    .withStartupTimeout(30_000)
    .start();
  const containerId = started.getId();
  try {
    await docker
      .getNetwork(networkName)
      .connect({ Container: containerId, EndpointConfig: { Aliases: [TOXIPROXY_ALIAS] } });
  } catch (error) {
    await started.stop({ remove: true, timeout: 0 }).catch(() => undefined);
    throw new Error(
      `could not attach the Toxiproxy container to the run's network ${networkName}: ${(error as Error).message}`,
    );
  }
  // The harness dials IPv4 (node-contract); "localhost" could resolve to ::1.
  const host = started.getHost() === "localhost" ? "127.0.0.1" : started.getHost();
  let clients = 0;
  let peers = 0;
  return {
    apiUrl: `http://${host}:${started.getMappedPort(API_PORT)}`,
    containerId,
    allocate(kind) {
      if (kind === "peer") {
        const listenPort = FIRST_PEER_PORT + peers++;
        return { listenPort, host: TOXIPROXY_ALIAS, port: listenPort };
      }
      if (clients >= CLIENT_PORTS) {
        throw new Error(
          `the Toxiproxy container publishes ${CLIENT_PORTS} client ports; this lab needs more client links`,
        );
      }
      const listenPort = FIRST_CLIENT_PORT + clients++;
      return { listenPort, host, port: started.getMappedPort(listenPort) };
    },
    stop: async () => {
      await started.stop({ remove: true, removeVolumes: true, timeout: 0 });
    },
  };
}
