/**
 * Starts a run's infrastructure (infrastructure.ts) of the kind asked for: local processes
 * behind a toxiproxy-server of the run's own, or containers (docker-infrastructure.ts).
 */
import { activeSandbox } from "../host/sandbox.ts";
import { FaultNetwork } from "../net/fault-network.ts";
import { freePort } from "../net/free-port.ts";
import { releasePort } from "../net/port-claims.ts";
import { startToxiproxyServer } from "../net/toxiproxy-server.ts";
import {
  type InfrastructureOptions,
  type RunInfrastructure,
  type RuntimeKind,
  traceRepair,
} from "./infrastructure.ts";
import { ProcessRuntime } from "./process-runtime.ts";
import { blockApiFromSandbox, firewallSupport } from "./toxiproxy-firewall.ts";

export async function startInfrastructure(
  kind: RuntimeKind,
  options: InfrastructureOptions,
): Promise<RunInfrastructure> {
  if (kind === "docker") {
    const { startDockerInfrastructure } = await import("./docker-infrastructure.ts");
    return startDockerInfrastructure(options);
  }
  return startProcessInfrastructure(options);
}

async function startProcessInfrastructure(
  options: InfrastructureOptions,
): Promise<RunInfrastructure> {
  const ports = new Map<string, { port: number; peerPort?: number }>();
  for (const id of options.nodes) {
    ports.set(
      id,
      options.nodes.length > 1
        ? { port: await freePort(), peerPort: await freePort() }
        : { port: await freePort() },
    );
  }
  const sandbox = activeSandbox();
  // Under the sandbox user, nodes cannot reach the server's API (where iptables may be used).
  const startServer = async () => {
    const server = await startToxiproxyServer();
    if (!sandbox || !firewallSupport().ok) return { server, unblock: () => undefined };
    return { server, unblock: blockApiFromSandbox(Number(new URL(server.apiUrl).port)) };
  };
  let toxiproxy = await startServer();
  const stopServer = async () => {
    toxiproxy.unblock();
    await toxiproxy.server.stop();
  };
  const network = new FaultNetwork(toxiproxy.server.apiUrl, {
    onRepair: traceRepair(options),
    // A server deadlocked past repair gives way to a new one; proxies keep their addresses.
    restartServer: async () => {
      await stopServer();
      toxiproxy = await startServer();
      return toxiproxy.server.apiUrl;
    },
  });
  const runtime = new ProcessRuntime({
    ...options,
    timeScale: Math.max(1, options.timeScale),
    ...(sandbox ? { runAs: sandbox } : {}),
  });
  const portsOf = (node: string) => ports.get(node) ?? { port: 0 };
  return {
    network,
    runtime,
    faultServerPid: () => toxiproxy.server.pid,
    nodePorts: portsOf,
    addLink: async (link) => {
      const target = portsOf(link.to);
      const upstream = link.port === "client" ? target.port : target.peerPort;
      const listen = await network.addLink(link.name, `127.0.0.1:${upstream}`);
      const at = listen.lastIndexOf(":");
      return { host: listen.slice(0, at), port: Number(listen.slice(at + 1)) };
    },
    stop: async () => {
      await runtime.stopAll().catch(() => undefined);
      await network.destroy().catch(() => undefined);
      await stopServer();
      for (const { port, peerPort } of ports.values()) {
        releasePort(port);
        if (peerPort !== undefined) releasePort(peerPort);
      }
    },
  };
}
