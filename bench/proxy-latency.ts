/**
 * Round-trip latency that Toxiproxy adds: the same small ONC RPC call (KV_NULL, AUTH_NONE) to
 * the Python reference server, once directly and once through a toxiproxy-server proxy with no
 * toxics. Usage: node bench/proxy-latency.ts [calls]
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KV_PROG, KV_V1 } from "../src/kv/kv-types.ts";
import { FaultNetwork } from "../src/net/fault-network.ts";
import { freePort } from "../src/net/free-port.ts";
import { startToxiproxyServer } from "../src/net/toxiproxy-server.ts";
import { RpcConnection } from "../src/rpc/connection.ts";
import { ProcessRuntime } from "../src/runtime/process-runtime.ts";
import { startClock } from "../src/trace/clock.ts";

const calls = Number(process.argv[2] ?? 5000);
const server = fileURLToPath(new URL("../fixtures/rpc/python-reference/", import.meta.url));
const now = startClock();
const runtime = new ProcessRuntime({ emit: () => undefined, now });
const work = await mkdtemp(join(tmpdir(), "dslab-bench-"));
const port = await freePort();
const started = await runtime.start({
  id: "n1",
  argv: ["python3", "server.py"],
  cwd: server,
  env: {},
  port,
  peers: [],
  dataDir: join(work, "data"),
  tmpDir: join(work, "tmp"),
});
if (!started.ok) throw new Error(`the reference server did not start: ${started.reason}`);
const toxiproxy = await startToxiproxyServer();
const network = new FaultNetwork(toxiproxy.apiUrl);
const proxied = (await network.addLink("bench-n1", `127.0.0.1:${port}`)).split(":");

async function measure(host: string, targetPort: number): Promise<number[]> {
  const opened = await RpcConnection.open({ host, port: targetPort });
  if (!opened.ok) throw new Error(opened.error);
  const samples: number[] = [];
  for (let xid = 1; xid <= calls + 100; xid++) {
    const t0 = performance.now();
    const reply = await opened.connection.call(
      { xid, prog: KV_PROG, vers: KV_V1, proc: 0 },
      { timeoutMs: 5000 },
    );
    if (reply.kind !== "reply") throw new Error(`call ${xid}: ${reply.kind}`);
    if (xid > 100) samples.push(performance.now() - t0); // the first 100 warm up
  }
  opened.connection.destroy();
  return samples.sort((a, b) => a - b);
}

const stats = (s: number[]) => {
  const at = (q: number) => (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0) * 1000;
  const mean = (s.reduce((a, b) => a + b, 0) / s.length) * 1000;
  return { mean, p50: at(0.5), p99: at(0.99) };
};
try {
  const direct = stats(await measure("127.0.0.1", port));
  const viaProxy = stats(await measure(proxied[0] ?? "127.0.0.1", Number(proxied[1])));
  const row = (name: string, s: typeof direct) =>
    `${name.padEnd(22)} mean ${s.mean.toFixed(0).padStart(5)} µs   p50 ${s.p50.toFixed(0).padStart(5)} µs   p99 ${s.p99.toFixed(0).padStart(5)} µs`;
  console.log(`${calls} sequential KV_NULL round trips to the Python reference on loopback`);
  console.log(row("direct", direct));
  console.log(row("through Toxiproxy", viaProxy));
  console.log(
    `Toxiproxy adds: mean ${(viaProxy.mean - direct.mean).toFixed(0)} µs, p50 ${(viaProxy.p50 - direct.p50).toFixed(0)} µs, p99 ${(viaProxy.p99 - direct.p99).toFixed(0)} µs`,
  );
} finally {
  await network.destroy();
  await toxiproxy.stop();
  await runtime.stopAll();
}
