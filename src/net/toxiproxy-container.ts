/**
 * The Toxiproxy container of one Docker run (the @testcontainers/toxiproxy module): it sits on
 * the default bridge, where its API and the client links' ports are published to the host,
 * and on the run's internal network under the alias `toxiproxy`, where nodes reach their
 * peers' proxies. Client links listen on the module's published range (8666..8697), peer
 * links on ports from 20000 that only the internal network sees.
 *
 * It can be restarted (a toxiproxy-server deadlocked past repair, see FaultNetwork) without
 * moving any address the run handed out: the host ports are chosen here at start, since
 * Docker gives a restarted container new random ones. The alias and the network attachment
 * stay; so does the address on the run's network in practice (Docker hands out the lowest
 * free one, and nothing joins that network mid-run: nodes use their holders' addresses),
 * though Docker does not promise it without a static address.
 */
import { ToxiProxyContainer } from "@testcontainers/toxiproxy";
import type Dockerode from "dockerode";
import type { StartedTestContainer } from "testcontainers";
import { runLabels, TOXIPROXY_IMAGE } from "../host/docker-engine.ts";
import { settlesWithin } from "../host/settles-within.ts";
import { freePort } from "./free-port.ts";
import { releasePort } from "./port-claims.ts";

export const TOXIPROXY_ALIAS = "toxiproxy";
const API_PORT = 8474;
const FIRST_CLIENT_PORT = 8666;
const CLIENT_PORTS = 32;
const FIRST_PEER_PORT = 20_000;
/** The ports the module publishes: the API and the client links' range. */
const PUBLISHED_PORTS = [
  API_PORT,
  ...Array.from({ length: CLIENT_PORTS }, (_, i) => FIRST_CLIENT_PORT + i),
];
/** Until GET /version answers, at start and after a restart. */
const STARTUP_TIMEOUT_MS = 30_000;
/** A restart: Docker's kill and start, then the startup wait. */
const RESTART_TIMEOUT_MS = STARTUP_TIMEOUT_MS + 15_000;
/** Starts, each on new host ports when one was taken before Docker could bind it. */
const START_ATTEMPTS = 3;

export interface ToxiproxyContainer {
  /** The API as the host reaches it, e.g. http://127.0.0.1:32768 */
  readonly apiUrl: string;
  readonly containerId: string;
  /** The next port inside the container for a link, and where its dialer connects. */
  allocate(kind: "client" | "peer"): { listenPort: number; host: string; port: number };
  /**
   * Kills and starts the container again (its toxiproxy-server comes back with no proxies)
   * at the same addresses; resolves to the API URL once GET /version answers.
   */
  restart(): Promise<string>;
  stop(): Promise<void>;
}

export async function startToxiproxyContainer(
  docker: Dockerode,
  runId: string,
  networkName: string,
): Promise<ToxiproxyContainer> {
  const name = `dslab-${runId}-toxiproxy`;
  const { started, hostPorts } = await startOnFixedPorts(docker, name, runId);
  const release = () => {
    for (const port of hostPorts) releasePort(port);
  };
  const containerId = started.getId();
  try {
    await docker
      .getNetwork(networkName)
      .connect({ Container: containerId, EndpointConfig: { Aliases: [TOXIPROXY_ALIAS] } });
  } catch (error) {
    await started.stop({ remove: true, timeout: 0 }).catch(() => undefined);
    release();
    throw new Error(
      `could not attach the Toxiproxy container to the run's network ${networkName}: ${(error as Error).message}`,
    );
  }
  // The harness dials IPv4 (node-contract); "localhost" could resolve to ::1.
  const host = started.getHost() === "localhost" ? "127.0.0.1" : started.getHost();
  const apiUrl = `http://${host}:${started.getMappedPort(API_PORT)}`;
  let clients = 0;
  let peers = 0;
  return {
    apiUrl,
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
    restart: async () => {
      const failed = `could not restart the Toxiproxy container ${name}`;
      // testcontainers' restart: `docker restart -t 0`, then its wait for GET /version.
      const restarting = started.restart({ timeout: 0 });
      if (!(await settlesWithin(restarting, RESTART_TIMEOUT_MS))) {
        throw new Error(
          `${failed}: no answer from Docker's restart and GET /version at ${apiUrl} within ${RESTART_TIMEOUT_MS / 1000} s`,
        );
      }
      await restarting.catch((error: Error) => {
        throw new Error(`${failed}: ${error.message}`, { cause: error });
      });
      return apiUrl;
    },
    stop: async () => {
      await started.stop({ remove: true, removeVolumes: true, timeout: 0 });
      release();
    },
  };
}

/**
 * Starts the container with its ports published on host ports chosen here, which a restart
 * keeps (with Docker's random ones it would not). One can be taken before Docker binds it
 * (by another process, or on the engine's host when that is not ours, where our probe cannot
 * see): then the start is tried again on others.
 */
async function startOnFixedPorts(
  docker: Dockerode,
  name: string,
  runId: string,
): Promise<{ started: StartedTestContainer; hostPorts: number[] }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const bindings = await hostBindings(PUBLISHED_PORTS);
    const hostPorts = bindings.map((binding) => binding.host);
    try {
      const started = await new ToxiProxyContainer(TOXIPROXY_IMAGE)
        .withName(name)
        .withLabels(runLabels(runId))
        .withEnvironment({ LOG_LEVEL: "warn" })
        .withExposedPorts(...bindings)
        .withStartupTimeout(STARTUP_TIMEOUT_MS)
        .start();
      return { started, hostPorts };
    } catch (error) {
      for (const port of hostPorts) releasePort(port);
      if (!/port is already allocated|address already in use/.test((error as Error).message)) {
        throw error;
      }
      lastError = error as Error;
      // Docker created the container before its ports failed to bind; the name is needed again.
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  throw new Error(
    `could not publish the Toxiproxy container's ports (${START_ATTEMPTS} attempts): ${lastError?.message}`,
  );
}

/** A free host port for each container port, claimed until the container is stopped. */
async function hostBindings(
  containerPorts: number[],
): Promise<Array<{ container: number; host: number }>> {
  const bindings: Array<{ container: number; host: number }> = [];
  for (const container of containerPorts) {
    // Docker binds every interface, so the port must be free on all of them.
    bindings.push({ container, host: await freePort("0.0.0.0") });
  }
  return bindings;
}
