/**
 * Throughput of lab 2's checkers on a long correct run: 5 nodes, tens of thousands of sparse
 * slots (some above 2^32), each proposed, printed by every node and answered TRUE by every
 * node, with minority partitions and a crash along the way. Usage:
 *   node bench/consensus-checker.ts [events]   (default 1,000,000)
 */
import { consensusCheckers } from "../labs/consensus/check/index.ts";
import { b64, ConsensusTraceBuilder } from "../test/support/consensus-trace-builder.ts";

const target = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(target) || target <= 0) {
  console.error(
    `usage: node bench/consensus-checker.ts [events]; "${process.argv[2]}" is not a positive integer`,
  );
  process.exit(2);
}

/** propose (invoke, send, ack) + 5 decide lines + 5 queries (invoke, send, answer). */
const EVENTS_PER_SLOT = 23;
const slots = Math.ceil(target / EVENTS_PER_SLOT);
const SLOT_MS = 2;
const runMs = slots * SLOT_MS;
const b = new ConsensusTraceBuilder({
  nodes: 5,
  params: {
    terminationBoundMs: 30_000,
    availability: { stableMs: 5000, withinMs: 2000, maxLatencyMs: 100 },
  },
}).boot(0);
for (let start = 10_000, id = 1; start + 10_000 < runMs; start += 20_000, id++) {
  b.split(start, start + 5000, id, ["n4", "n5"], ["n1", "n2", "n3"]);
}
b.crash(Math.floor(runMs / 2), Math.floor(runMs / 2) + 3000, 0, "n5");
for (let i = 0; i < slots; i++) {
  const t = i * SLOT_MS;
  const slot = i * 7919 + (i % 3 === 0 ? 2 ** 33 : 0);
  const value = b64(`v${i}`);
  b.propose(t, `n${(i % 3) + 1}`, slot, value, t + 5);
  b.decideEverywhere(t + 20, slot, value);
}
const trace = b
  .heal(runMs + 100)
  .end(runMs + 200)
  .trace();

const started = performance.now();
let failed = false;
for (const checker of consensusCheckers) {
  const t0 = performance.now();
  const r = checker.check(trace);
  failed ||= r.verdict === "fail" || r.verdict === "unknown";
  console.log(
    `${checker.property}: ${r.verdict} in ${((performance.now() - t0) / 1000).toFixed(2)} s (${r.summary})`,
  );
}
const seconds = (performance.now() - started) / 1000;
const mib = (kib: number): string => (kib / 1024).toFixed(0);
console.log(`trace: ${trace.events.length} events, ${slots} slots, 5 nodes`);
console.log(
  `checked in ${seconds.toFixed(2)} s: ${Math.round(trace.events.length / seconds)} events/s`,
);
console.log(`peak RSS (trace included): ${mib(process.resourceUsage().maxRSS)} MiB`);
if (failed) process.exitCode = 1;
