import { connect, createServer, type Server } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FaultNetwork } from "../src/net/fault-network.ts";
import { startToxiproxyServer, type ToxiproxyServer } from "../src/net/toxiproxy-server.ts";

/** What one request/response exchange through a proxy saw. */
interface Exchange {
  outcome: "complete" | "timeout" | "closed" | "error";
  received: Buffer;
  elapsedMs: number;
  errorCode?: string;
  /** For "timeout": the connection was still open when we gave up. */
  stillOpen?: boolean;
}

/** Sends `payload` and reads until as many bytes came back, the peer closed, or timeout. */
function exchange(address: string, payload: Buffer, timeoutMs = 3_000): Promise<Exchange> {
  const [host, port] = address.split(":");
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect({ host: host ?? "127.0.0.1", port: Number(port) });
    const finish = (outcome: Exchange["outcome"], extra: Partial<Exchange> = {}) => {
      clearTimeout(timer);
      const stillOpen = !socket.destroyed && socket.readyState === "open";
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      socket.destroy();
      const elapsedMs = performance.now() - started;
      resolve({ outcome, received: Buffer.concat(chunks), elapsedMs, stillOpen, ...extra });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= payload.length) finish("complete");
    });
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish("error", { errorCode: error.code ?? error.message }),
    );
  });
}

function bytes(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
}

describe("fault network over a real toxiproxy-server", () => {
  let toxiproxy: ToxiproxyServer;
  let echo: Server;
  let network: FaultNetwork;
  let proxyAddress: string;
  const link = "client-c1-n1";

  beforeAll(async () => {
    toxiproxy = await startToxiproxyServer();
    echo = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const address = echo.address();
    const echoPort = typeof address === "object" && address ? address.port : 0;
    network = new FaultNetwork(toxiproxy.apiUrl);
    proxyAddress = await network.addLink(link, `127.0.0.1:${echoPort}`);
  });

  afterEach(async () => {
    await network.healAll();
  });

  afterAll(async () => {
    await network?.destroy();
    await toxiproxy?.stop();
    await new Promise((resolve) => echo?.close(resolve));
  });

  it("passes traffic through unchanged without faults", async () => {
    expect(proxyAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(toxiproxy.version).toContain("version");
    const result = await exchange(proxyAddress, bytes(1000));
    expect(result.outcome).toBe("complete");
    expect(result.received.equals(bytes(1000))).toBe(true);
  });

  it("latency delays the reply by at least roughly the configured time", async () => {
    const applied = await network.apply({
      kind: "latency",
      link,
      direction: "downstream",
      latencyMs: 400,
      jitterMs: 0,
    });
    const slow = await exchange(proxyAddress, bytes(10));
    expect(slow.outcome).toBe("complete");
    expect(slow.elapsedMs).toBeGreaterThanOrEqual(300);
    await network.remove(applied);
    expect((await exchange(proxyAddress, bytes(10))).outcome).toBe("complete");
  });

  it("blackhole swallows data while the connection stays open", async () => {
    const applied = await network.apply({ kind: "blackhole", link, direction: "upstream" });
    const result = await exchange(proxyAddress, bytes(10), 800);
    expect(result.outcome).toBe("timeout");
    expect(result.received.length).toBe(0);
    expect(result.stillOpen).toBe(true);
    await network.remove(applied);
    expect((await exchange(proxyAddress, bytes(10))).outcome).toBe("complete");
  });

  it("reset makes new connections fail with a reset", async () => {
    await network.apply({ kind: "reset", link, direction: "downstream" });
    const result = await exchange(proxyAddress, bytes(10));
    expect(result.outcome).toBe("error");
    expect(result.errorCode).toBe("ECONNRESET");
    expect(result.received.length).toBe(0);
  });

  it("link-down refuses new connections and closes open ones", async () => {
    const [host, port] = proxyAddress.split(":");
    const open = connect({ host, port: Number(port) });
    const closed = new Promise<void>((resolve) => open.on("close", () => resolve()));
    open.on("error", () => undefined);
    await new Promise((resolve) => open.once("connect", resolve));
    const applied = await network.apply({ kind: "link-down", link });
    await closed;
    const refused = await exchange(proxyAddress, bytes(10));
    expect(refused.outcome).toBe("error");
    expect(refused.errorCode).toBe("ECONNREFUSED");
    await network.remove(applied);
    const back = await exchange(proxyAddress, bytes(10));
    expect(back.outcome).toBe("complete");
    expect(network.listenAddress(link)).toBe(proxyAddress);
  });

  it("overlapping link-down faults keep the link down until the last one ends", async () => {
    const first = await network.apply({ kind: "link-down", link });
    const second = await network.apply({ kind: "link-down", link });
    await network.remove(first);
    expect((await exchange(proxyAddress, bytes(10))).errorCode).toBe("ECONNREFUSED");
    await network.remove(second);
    expect((await exchange(proxyAddress, bytes(10))).outcome).toBe("complete");
  });

  it("truncate closes the connection after the configured number of bytes", async () => {
    await network.apply({ kind: "truncate", link, direction: "downstream", bytes: 10 });
    const result = await exchange(proxyAddress, bytes(100));
    expect(result.outcome).toBe("closed");
    expect(result.received.length).toBe(10);
  });

  it("slice still delivers every byte, in order", async () => {
    await network.apply({
      kind: "slice",
      link,
      direction: "downstream",
      averageSize: 16,
      sizeVariation: 8,
      delayUs: 500,
    });
    const result = await exchange(proxyAddress, bytes(2000));
    expect(result.outcome).toBe("complete");
    expect(result.received.equals(bytes(2000))).toBe(true);
  });

  it("bandwidth slows a transfer down", async () => {
    await network.apply({ kind: "bandwidth", link, direction: "downstream", rateKBps: 16 });
    const result = await exchange(proxyAddress, bytes(16 * 1024), 10_000);
    expect(result.outcome).toBe("complete");
    expect(result.elapsedMs).toBeGreaterThanOrEqual(500);
  });

  it("healAll removes every toxic and brings every link back", async () => {
    await network.apply({ kind: "blackhole", link, direction: "downstream" });
    await network.apply({
      kind: "latency",
      link,
      direction: "upstream",
      latencyMs: 5000,
      jitterMs: 0,
    });
    await network.apply({ kind: "link-down", link });
    await network.healAll();
    const result = await exchange(proxyAddress, bytes(100));
    expect(result.outcome).toBe("complete");
    expect(result.elapsedMs).toBeLessThan(4_000);
  });

  it("errors name the link, the fault and what the server said", async () => {
    await expect(network.apply({ kind: "link-down", link: "n9-n9" })).rejects.toThrow(
      /unknown link n9-n9.*client-c1-n1/,
    );
    const other = new FaultNetwork(toxiproxy.apiUrl);
    await expect(other.addLink(link, "127.0.0.1:1")).rejects.toThrow(
      /create the proxy for link client-c1-n1.*409 proxy already exists/,
    );
    await expect(other.addLink("bad/name", "127.0.0.1:1")).rejects.toThrow(/link name/);
  });
});
