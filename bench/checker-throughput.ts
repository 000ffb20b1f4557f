/**
 * Throughput of the at-most-once checker on a long valid history: concurrent clients, a few
 * lost replies, deterministic for the seed. Usage: node bench/checker-throughput.ts [ops]
 */
import { checkAtMostOnce } from "../src/kv/at-most-once.ts";
import { addRandomValidHistory, TraceBuilder } from "../test/support/trace-builder.ts";

const ops = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(ops) || ops <= 0) {
  console.error(
    `usage: node bench/checker-throughput.ts [ops]; "${process.argv[2]}" is not a positive integer`,
  );
  process.exit(2);
}

const builder = new TraceBuilder();
builder.ready(0).boot(1, 2, "11");
addRandomValidHistory(builder, {
  ops,
  keys: Math.max(10, Math.round(ops / 500)),
  clients: 16,
  infoRate: 0.01,
  seed: 42,
});
const trace = builder.trace();

const started = performance.now();
const result = checkAtMostOnce(trace);
const seconds = (performance.now() - started) / 1000;

const mib = (kib: number): string => (kib / 1024).toFixed(0);
console.log(`history: ${ops} ops, ${trace.events.length} events`);
console.log(`verdict: ${result.verdict} (${result.summary})`);
console.log(`checked in ${seconds.toFixed(2)} s: ${Math.round(ops / seconds)} ops/s`);
console.log(`peak RSS: ${mib(process.resourceUsage().maxRSS)} MiB`);
if (result.verdict !== "pass") process.exitCode = 1;
