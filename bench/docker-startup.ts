/**
 * Start-up cost of the Docker runtime: the time from a scenario's start to every node ready
 * behind the Toxiproxy container (3 and 5 nodes, lab 2's reference), and the share of each
 * scenario's wall time spent outside its fault schedule (set-up, final reads, tear-down).
 * Needs the engine and the images (scripts/setup.sh --with-docker).
 * Usage: node bench/docker-startup.ts [seed]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "../src/lab/run-lab.ts";
import { readTrace } from "../src/trace/reader.ts";

const seed = Number(process.argv[2] ?? 1);
const outDir = await mkdtemp(join(tmpdir(), "dslab-bench-docker-"));
let keep = false;
try {
  for (const [lab, submission, scenario] of [
    ["rpc", "fixtures/rpc/cpp-reference", "crash-restart"],
    ["consensus", "fixtures/consensus/cpp-reference", "minority-partition"],
    ["consensus", "fixtures/consensus/cpp-reference", "minority-partition-5"],
  ] as const) {
    const summary = await runTests({
      lab,
      submission,
      seeds: [seed],
      scenarios: [scenario],
      timeScale: 1,
      outDir: join(outDir, `${lab}-${scenario}`),
      signal: new AbortController().signal,
      log: () => undefined,
      onResult: () => undefined,
      command: "bin/dslab",
      runtime: "docker",
    });
    const result = summary.results[0];
    if (!result) throw new Error(`${lab} ${scenario} did not run (${summary.status})`);
    const trace = await readTrace(result.tracePath);
    const nodes = trace.header.nodes.length;
    const ready = trace.events.filter((e) => e.type === "node.ready");
    const allReadyAt = ready.slice(0, nodes).at(-1)?.t ?? Number.NaN;
    const faults = trace.events.filter(
      (e) => e.type === "nemesis.start" || e.type === "nemesis.stop",
    );
    const faultSpan = faults.length > 0 ? (faults.at(-1)?.t ?? 0) - (faults[0]?.t ?? 0) : 0;
    const wall = result.durationMs;
    console.log(
      `${lab.padEnd(9)} ${scenario.padEnd(22)} ${nodes} node${nodes > 1 ? "s" : " "}: cluster up in ${(allReadyAt / 1000).toFixed(2)} s; wall ${(wall / 1000).toFixed(1)} s, of which ${(100 * (1 - faultSpan / wall)).toFixed(0)}% outside the fault schedule (verdict ${result.verdict})`,
    );
    if (result.verdict !== "pass") {
      // A reference that does not pass is a finding in itself: keep its trace to look at.
      keep = true;
      console.log(`  not a pass: trace kept at ${result.tracePath}`);
    }
  }
} finally {
  if (!keep) await rm(outDir, { recursive: true, force: true });
}
