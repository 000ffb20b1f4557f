/**
 * A Docker run's Toxiproxy container restarted by the fault network (its server deadlocked
 * past repair, Shopify/toxiproxy#558) keeps every address the run handed out: the API URL,
 * the client links' published host ports, and its alias and address on the run's network.
 * A paused container stands in for the deadlocked server: its API does not answer at all.
 * Needs dockerd and the images.
 */
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerClient, newRunId } from "../src/host/docker-engine.ts";
import { FaultNetwork } from "../src/net/fault-network.ts";
import {
  startToxiproxyContainer,
  TOXIPROXY_ALIAS,
  type ToxiproxyContainer,
} from "../src/net/toxiproxy-container.ts";
import { removeRun } from "../src/runtime/docker-clean.ts";
import { createRunNetwork, type RunNetwork } from "../src/runtime/docker-run-network.ts";
import { leftovers, requireDocker } from "./support/docker.ts";

requireDocker();

const CLIENT = "client-c1-n1";
const PEER = "n1-n2";
/** Each link's upstream is the container's own API, so a link's traffic shows it works. */
const OWN_API = "127.0.0.1:8474";

/** What the engine says about the container's place on the networks. */
async function addresses(docker: Dockerode, containerId: string, networkName: string) {
  const inspected = await docker.getContainer(containerId).inspect();
  const onRun = inspected.NetworkSettings.Networks[networkName];
  return {
    ip: onRun?.IPAddress,
    aliases: onRun?.Aliases ?? [],
    published: inspected.NetworkSettings.Ports,
  };
}

/** The proxies the server has: name -> where it listens, enabled, its toxics' types. */
async function proxiesOn(apiUrl: string) {
  const response = await fetch(`${apiUrl}/proxies`, { signal: AbortSignal.timeout(2_000) });
  const body = (await response.json()) as Record<
    string,
    { listen: string; enabled: boolean; toxics: Array<{ type: string }> }
  >;
  return Object.fromEntries(
    Object.entries(body).map(([name, p]) => [
      name,
      { listen: p.listen, enabled: p.enabled, toxics: p.toxics.map((t) => t.type) },
    ]),
  );
}

/** GET /version through the client link's published host port. */
async function versionThrough(at: { host: string; port: number }): Promise<string> {
  const response = await fetch(`http://${at.host}:${at.port}/version`, {
    signal: AbortSignal.timeout(3_000),
  });
  return response.text();
}

describe("a restarted Toxiproxy container", () => {
  let docker: Dockerode;
  const runId = newRunId();
  let runNetwork: RunNetwork | undefined;
  let toxiproxy: ToxiproxyContainer | undefined;

  beforeAll(async () => {
    docker = await dockerClient();
    runNetwork = await createRunNetwork(docker, runId);
    toxiproxy = await startToxiproxyContainer(docker, runId, runNetwork.name);
  }, 90_000);

  afterAll(async () => {
    await toxiproxy?.stop().catch(() => undefined);
    await runNetwork?.remove().catch(() => undefined);
    await removeRun(docker, runId);
    expect(leftovers()).toBe("");
  }, 60_000);

  it("keeps the run's addresses, and the fault network recreates its links there", {
    timeout: 120_000,
  }, async () => {
    if (!toxiproxy || !runNetwork) throw new Error("setup failed");
    const container = toxiproxy;
    const restartedAt: string[] = [];
    const repairs: Array<{ link: string; reason: string }> = [];
    const network = new FaultNetwork(container.apiUrl, {
      listenHost: "0.0.0.0",
      onRepair: (link, reason) => repairs.push({ link, reason }),
      restartServer: async () => {
        const apiUrl = await container.restart();
        restartedAt.push(apiUrl);
        return apiUrl;
      },
    });
    const client = container.allocate("client");
    const peer = container.allocate("peer");
    await network.addLink(CLIENT, OWN_API, client.listenPort);
    await network.addLink(PEER, OWN_API, peer.listenPort);
    expect(peer.host).toBe(TOXIPROXY_ALIAS);
    const version = await versionThrough(client);
    expect(version).toMatch(/"version"/);
    const before = await addresses(docker, container.containerId, runNetwork.name);
    const listening = {
      [CLIENT]: network.listenAddress(CLIENT),
      [PEER]: network.listenAddress(PEER),
    };

    await docker.getContainer(container.containerId).pause();
    // The change gets no answer, nor does deleting the proxy: the container is restarted.
    await network.apply({
      kind: "latency",
      link: PEER,
      direction: "upstream",
      latencyMs: 10,
      jitterMs: 0,
    });

    expect(restartedAt).toEqual([container.apiUrl]);
    expect(repairs.map((r) => r.link).sort()).toEqual([CLIENT, PEER].sort());
    expect(repairs[0]?.reason).toMatch(/toxiproxy-server was restarted/);
    // The same API, published ports, address and alias on the run's network.
    const after = await addresses(docker, container.containerId, runNetwork.name);
    expect(after.published).toEqual(before.published);
    expect(after.ip).toBe(before.ip);
    expect(after.aliases).toContain(TOXIPROXY_ALIAS);
    // Every link is back where it listened, as it should be (the latency fault in force).
    expect(await proxiesOn(container.apiUrl)).toEqual({
      [CLIENT]: { listen: listening[CLIENT], enabled: true, toxics: [] },
      [PEER]: { listen: listening[PEER], enabled: true, toxics: ["latency"] },
    });
    // The client's published host port, which it was handed once, carries traffic again.
    expect(await versionThrough(client)).toBe(version);
  });
});
