/**
 * Toxiproxy deadlocks a proxy when a connection's writer gives up while a toxic change waits
 * for it (Shopify/toxiproxy#558). Made to happen on purpose here: a receiver that does not
 * read lets the proxy's writer block, a toxic change then waits on it, and the receiver
 * closing makes the writer quit for good. The fault network must recreate that link's proxy
 * and carry on, not hang the run or fail it.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FaultNetwork } from "../src/net/fault-network.ts";
import { startToxiproxyServer, type ToxiproxyServer } from "../src/net/toxiproxy-server.ts";

const LINK = "n1-n2";
/** Another link, to see that a restarted server brings every link back. */
const OTHER = "n2-n1";

/** A TCP server that reads nothing until told to; then it echoes. */
class Receiver {
  readonly server: Server;
  readonly sockets: Socket[] = [];
  reading = false;

  constructor() {
    this.server = createServer((socket) => {
      socket.on("error", () => undefined);
      this.sockets.push(socket);
      if (this.reading) socket.pipe(socket);
      else socket.pause();
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  /** Closes every connection it has (the proxy's writer to it then fails). */
  dropAll(): void {
    for (const socket of this.sockets.splice(0)) socket.destroy();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes through the proxy until its writer is stuck on the receiver; returns the socket. */
async function floodUntilStuck(address: string): Promise<Socket> {
  const [host, port] = address.split(":");
  const socket = connect({ host: host ?? "127.0.0.1", port: Number(port) });
  socket.on("error", () => undefined);
  const chunk = Buffer.alloc(64 * 1024, 7);
  let lastProgress = Date.now();
  const pump = () => {
    while (socket.write(chunk)) lastProgress = Date.now();
  };
  socket.on("connect", pump);
  socket.on("drain", () => {
    lastProgress = Date.now();
    pump();
  });
  // Stuck: every buffer on the way is full and nothing has drained for a while.
  const deadline = Date.now() + 10_000;
  while (Date.now() - lastProgress < 400) {
    if (Date.now() > deadline) throw new Error("the flood never filled the proxy's buffers");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return socket;
}

/** Sends bytes and resolves with what came back within the time (the receiver echoes). */
function roundTrip(address: string, payload: Buffer, timeoutMs = 3_000): Promise<Buffer> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host: host ?? "127.0.0.1", port: Number(port) });
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on("error", done);
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= payload.length) done();
    });
  });
}

/** The toxics the server reports on a link's proxy. */
async function toxicsOn(apiUrl: string, link: string): Promise<string[]> {
  const response = await fetch(`${apiUrl}/proxies/${link}`, { signal: AbortSignal.timeout(2_000) });
  const body = (await response.json()) as { toxics: Array<{ name: string }> };
  return body.toxics.map((toxic) => toxic.name).sort();
}

describe("a proxy deadlocked by Toxiproxy", () => {
  let toxiproxy: ToxiproxyServer;
  let receiver: Receiver;
  let network: FaultNetwork;
  let address: string;
  let otherAddress: string;
  let flood: Socket | undefined;
  let latecomer: Socket | undefined;
  const repairs: Array<{ link: string; reason: string }> = [];

  beforeEach(async () => {
    repairs.length = 0;
    toxiproxy = await startToxiproxyServer();
    receiver = new Receiver();
    const port = await receiver.listen();
    network = new FaultNetwork(toxiproxy.apiUrl, {
      onRepair: (link, reason) => repairs.push({ link, reason }),
      restartServer: async () => {
        await toxiproxy.stop();
        toxiproxy = await startToxiproxyServer();
        return toxiproxy.apiUrl;
      },
    });
    address = await network.addLink(LINK, `127.0.0.1:${port}`);
    otherAddress = await network.addLink(OTHER, `127.0.0.1:${port}`);
  });

  afterEach(async () => {
    flood?.destroy();
    latecomer?.destroy();
    await network.destroy().catch(() => undefined);
    await toxiproxy.stop();
    await receiver.close();
  });

  /** A latency fault already in force, so the link's chain holds more than Toxiproxy's no-op. */
  function slowDown(direction: "upstream" | "downstream") {
    return network.apply({ kind: "latency", link: LINK, direction, latencyMs: 10, jitterMs: 0 });
  }

  /**
   * Starts a toxic change that the stuck writer holds up, then makes the writer quit. With
   * `spread`, a new connection then reaches the deadlocked proxy, which sticks its accept
   * loop and with it the server's proxy list.
   */
  async function deadlockDuring<T>(change: () => Promise<T>, spread = false): Promise<T> {
    flood = await floodUntilStuck(address);
    const changing = change();
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiver.dropAll();
    if (spread) {
      const [host, port] = address.split(":");
      latecomer = connect({ host: host ?? "127.0.0.1", port: Number(port) });
      latecomer.on("error", () => undefined);
    }
    return changing;
  }

  it("is recreated with the toxics it should have, and the change goes through", async () => {
    await slowDown("downstream");
    const applied = await deadlockDuring(() =>
      network.apply({ kind: "blackhole", link: LINK, direction: "upstream" }),
    );
    expect(repairs).toHaveLength(1);
    expect(repairs[0]?.link).toBe(LINK);
    expect(repairs[0]?.reason).toMatch(/blackhole upstream on n1-n2.*no answer.*recreated/);
    // Both faults are in force on the new proxy, at the same address.
    expect(await toxicsOn(toxiproxy.apiUrl, LINK)).toEqual([
      "blackhole-upstream-2",
      "latency-downstream-1",
    ]);
    expect(network.listenAddress(LINK)).toBe(address);
    receiver.reading = true;
    expect((await roundTrip(address, Buffer.from("swallowed"), 800)).length).toBe(0);
    // Ending the fault works on the new proxy, and traffic flows again.
    await network.remove(applied);
    expect(await toxicsOn(toxiproxy.apiUrl, LINK)).toEqual(["latency-downstream-1"]);
    expect((await roundTrip(address, Buffer.from("through"))).toString()).toBe("through");
  });

  it("does not hang the final heal", async () => {
    await slowDown("upstream");
    // The deadlock comes from a change the network did not make (its call is abandoned).
    const outside = await deadlockDuring(() =>
      fetch(`${toxiproxy.apiUrl}/proxies/${LINK}/toxics`, {
        method: "POST",
        body: JSON.stringify({
          name: "outside",
          type: "latency",
          stream: "upstream",
          attributes: { latency: 1 },
        }),
        signal: AbortSignal.timeout(1_000),
      }).catch((error: Error) => error.name),
    );
    expect(outside).toBe("TimeoutError");
    await network.healAll();
    expect(repairs.map((r) => r.link)).toEqual([LINK]);
    expect(repairs[0]?.reason).toMatch(/POST \/reset.*no answer/);
    expect(await toxicsOn(toxiproxy.apiUrl, LINK)).toEqual([]);
    receiver.reading = true;
    expect((await roundTrip(address, Buffer.from("healed"))).toString()).toBe("healed");
  });

  it("restarts the server when the deadlock has spread to the proxy list", async () => {
    await slowDown("downstream");
    await deadlockDuring(
      () => network.apply({ kind: "blackhole", link: LINK, direction: "upstream" }),
      true,
    );
    // Both links were recreated on a new server, at their addresses, as they should be.
    expect(repairs.map((r) => r.link).sort()).toEqual([OTHER, LINK].sort());
    expect(repairs[0]?.reason).toMatch(/could not be deleted.*toxiproxy-server was restarted/);
    expect(await toxicsOn(toxiproxy.apiUrl, LINK)).toEqual([
      "blackhole-upstream-2",
      "latency-downstream-1",
    ]);
    receiver.reading = true;
    expect((await roundTrip(otherAddress, Buffer.from("other"))).toString()).toBe("other");
    await network.healAll();
    expect((await roundTrip(address, Buffer.from("healed"))).toString()).toBe("healed");
  });

  it("leaves a healthy proxy alone", async () => {
    const applied = await network.apply({ kind: "blackhole", link: LINK, direction: "upstream" });
    await network.remove(applied);
    await network.healAll();
    expect(repairs).toEqual([]);
  });
});
