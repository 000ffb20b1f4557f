/**
 * A TCP port free right now, for a server (a node, toxiproxy's API), and claimed for this
 * process until releasePort (port-claims.ts): no other dslab run on the machine gets it, nor
 * does this process twice. Chosen below the kernel's ephemeral range: ports there are also
 * handed out to outgoing connections and to `listen(0)` (Toxiproxy's proxies), so a server
 * port taken from it can collide a moment later.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { claimPort } from "./port-claims.ts";

const LOWEST_PORT = 10_000;
const ATTEMPTS = 50;

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  if (ephemeralLow - LOWEST_PORT >= 1_000) {
    for (let i = 0; i < ATTEMPTS; i++) {
      const candidate = LOWEST_PORT + Math.floor(Math.random() * (ephemeralLow - LOWEST_PORT));
      if ((await tryBind(host, candidate)) !== undefined && claimPort(candidate)) return candidate;
    }
  }
  // No room below the ephemeral range (or all taken): let the kernel choose.
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = await tryBind(host, 0);
    if (port !== undefined && claimPort(port)) return port;
  }
  throw new Error(`could not find a free TCP port on ${host}`);
}

/** Binds and releases host:port; the bound port, or undefined if it is taken. */
function tryBind(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined && low > 0) return [low, high];
  } catch {
    // not Linux, or /proc hidden: assume the usual range
  }
  return [32_768, 60_999];
}
