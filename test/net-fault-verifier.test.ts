/**
 * The fault network verified over a real toxiproxy-server: left alone, under many concurrent
 * changes, it never shows a mismatch; changed behind dslab's back (a proxy moved aside and
 * its address relayed, a toxic or a proxy deleted) every check says so and the changes that
 * meet the damage are mismatches, not errors; dslab's own failures still throw.
 */
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FaultNetwork, type LinkFault } from "../src/net/fault-network.ts";
import { FaultVerifier } from "../src/net/fault-verifier.ts";
import { parseTcpTable } from "../src/net/proxy-sockets.ts";
import { startToxiproxyServer, type ToxiproxyServer } from "../src/net/toxiproxy-server.ts";
import type { NetVerifyEvent } from "../src/trace/events.ts";

const LINKS = ["c1-n1", "c2-n1", "c3-n1"];

async function listen(server: Server, address = "127.0.0.1:0"): Promise<number> {
  const at = address.lastIndexOf(":");
  server.listen(Number(address.slice(at + 1)), address.slice(0, at));
  await once(server, "listening");
  const bound = server.address();
  return typeof bound === "object" && bound ? bound.port : 0;
}

/** An open connection through `address` (kept until the test ends), once a byte came back. */
async function dial(address: string, sockets: Socket[]): Promise<void> {
  const at = address.lastIndexOf(":");
  const socket = connect(Number(address.slice(at + 1)), address.slice(0, at));
  socket.on("error", () => undefined);
  sockets.push(socket);
  socket.write("x");
  await once(socket, "data");
}

async function api(toxiproxy: ToxiproxyServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${toxiproxy.apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok).toBe(true);
  return response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>);
}

const latency = (link: string): LinkFault => ({
  kind: "latency",
  link,
  direction: "downstream",
  latencyMs: 5,
  jitterMs: 0,
});

describe("fault network verification over a real toxiproxy-server", () => {
  let toxiproxy: ToxiproxyServer;
  let node: Server;
  let upstream: string;
  let network: FaultNetwork;
  let verifier: FaultVerifier;
  let events: NetVerifyEvent[];
  const sockets: Socket[] = [];
  const servers: Server[] = [];
  const mismatches = () => events.flatMap((e) => e.mismatches);

  beforeAll(async () => {
    toxiproxy = await startToxiproxyServer();
    node = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.pipe(socket);
    });
    upstream = `127.0.0.1:${await listen(node)}`;
  });

  beforeEach(async () => {
    network = new FaultNetwork(toxiproxy.apiUrl);
    for (const link of LINKS) await network.addLink(link, upstream);
    events = [];
    verifier = new FaultVerifier(network, {
      emit: (event) => events.push(event),
      now: () => 1,
      serverPid: () => toxiproxy.pid,
    });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) server.close();
    // What a test deleted or moved is deleted here whatever its state.
    for (const link of LINKS) {
      await fetch(`${toxiproxy.apiUrl}/proxies/${link}`, { method: "DELETE" });
    }
  });

  afterAll(async () => {
    await toxiproxy?.stop();
    node?.close();
  });

  it("finds nothing wrong through many concurrent changes, connections open", async () => {
    for (const link of LINKS) await dial(network.listenAddress(link), sockets);
    // The last link stays quiet while the others change: every check can compare it.
    const churned = LINKS.slice(0, -1);
    const changeAll = async (faults: LinkFault[]) => {
      const applied = await Promise.all(faults.map((fault) => verifier.apply(fault)));
      await Promise.all(applied.map((a) => verifier.remove(a)));
    };
    // Checks run beside the changes, one at a time: rounds until ten of them have.
    for (let round = 0; round < 3000 && events.length < 10; round++) {
      await changeAll(
        churned.flatMap((link) => [
          latency(link),
          { kind: "blackhole", link, direction: "upstream" },
        ]),
      );
      // Not while toxics change: closing connections then deadlocks Toxiproxy (#558).
      if (round % 5 === 4) await changeAll(churned.map((link) => ({ kind: "link-down", link })));
    }
    await verifier.healAll();
    await verifier.verifyAtEnd();
    expect(mismatches()).toEqual([]);
    expect(events.filter((e) => e.error !== undefined)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ final: true, links: 3, mismatches: [] });
    expect(events.length).toBeGreaterThan(10);
    // The quiet link's connection is seen at every check; the others' until a link-down.
    expect(events.every((e) => (e.connections ?? 0) >= 1)).toBe(true);
  });

  it("catches a proxy moved aside with its address relayed to the node", async () => {
    const [link = ""] = LINKS;
    const old = network.listenAddress(link);
    await api(toxiproxy, "POST", `/proxies/${link}`, { listen: "127.0.0.1:0", upstream });
    const relay = createServer((socket) => {
      const forward = connect(Number(upstream.split(":")[1]), "127.0.0.1");
      for (const s of [socket, forward]) s.on("error", () => undefined);
      socket.pipe(forward).pipe(socket);
    });
    servers.push(relay);
    await listen(relay, old);
    await dial(old, sockets);
    await verifier.apply(latency(LINKS[1] ?? ""));
    await verifier.verifyAtEnd();
    const found = mismatches().filter((m) => m.link === link);
    expect(new Set(found.map((m) => m.what))).toEqual(
      new Set(["listen", "listener", "connection"]),
    );
    expect(mismatches().filter((m) => m.link !== link)).toEqual([]);
    // Ending a link-down puts the proxy back at its address, which the relay holds: refused,
    // and recorded as tampering rather than thrown as dslab's failure.
    const down = await verifier.apply({ kind: "link-down", link });
    await expect(verifier.remove(down)).resolves.toBeUndefined();
  });

  it("records a change that meets a deleted toxic or proxy as a mismatch, not an error", async () => {
    const [first = "", second = ""] = LINKS;
    const applied = await verifier.apply(latency(first));
    await api(toxiproxy, "DELETE", `/proxies/${first}/toxics/${applied.toxic}`);
    await expect(verifier.remove(applied)).resolves.toBeUndefined();
    await api(toxiproxy, "DELETE", `/proxies/${second}`);
    await expect(verifier.apply(latency(second))).resolves.toMatchObject({ fault: {} });
    const found = mismatches().map((m) => `${m.link} ${m.what}`);
    expect(found).toContain(`${first} change`);
    expect(found).toContain(`${second} change`);
    expect(found).toContain(`${second} proxy`);
  });

  it("still throws a failure that is dslab's, with no mismatch to blame", async () => {
    const server = await startToxiproxyServer();
    const own = new FaultNetwork(server.apiUrl);
    await own.addLink("c1-n1", upstream);
    const checked = new FaultVerifier(own, { emit: () => undefined, now: () => 1 });
    await server.stop();
    await expect(checked.apply(latency("c1-n1"))).rejects.toThrow(/is toxiproxy-server running/);
  });
});

describe("the kernel's TCP tables", () => {
  it("reads IPv4 and IPv4-mapped IPv6 addresses, states and inodes", () => {
    const tcp = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0",
    ].join("\n");
    const tcp6 = [
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 77 1 0 20 4 30 10 -1",
      "   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 78 1 0 100 0 0 10 0",
    ].join("\n");
    expect(parseTcpTable(tcp)).toEqual([
      {
        local: { host: "127.0.0.1", port: 40000 },
        remote: { host: "0.0.0.0", port: 0 },
        state: 0x0a,
        inode: 4242,
      },
    ]);
    expect(parseTcpTable(tcp6)).toEqual([
      {
        local: { host: "127.0.0.1", port: 40000 },
        remote: { host: "127.0.0.1", port: 54321 },
        state: 0x01,
        inode: 77,
      },
      {
        local: { host: "::", port: 8080 },
        remote: { host: "::", port: 0 },
        state: 0x0a,
        inode: 78,
      },
    ]);
  });
});
