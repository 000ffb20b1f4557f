/**
 * The lab 2 reference's time from the final heal to every slot decided on every node, as the
 * termination checker measures it, on a few fault-heavy scenarios at time scale 1.
 * Usage: node bench/consensus-termination.ts [seed]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTests } from "../src/lab/run-lab.ts";

const seed = Number(process.argv[2] ?? 1);
const scenarios = ["minority-partition", "total-crash", "decide-and-cut", "mixed", "mixed-5"];
const outDir = await mkdtemp(join(tmpdir(), "dslab-bench-termination-"));
try {
  const summary = await runTests({
    lab: "consensus",
    submission: "fixtures/consensus/cpp-reference",
    seeds: [seed],
    scenarios,
    timeScale: 1,
    outDir,
    signal: new AbortController().signal,
    log: () => undefined,
    onResult: (result) => {
      const termination = result.checks.find((check) => check.property === "termination");
      console.log(
        `${result.scenario.padEnd(20)} ${result.verdict.padEnd(5)} ${termination?.summary ?? "(no termination check)"}`,
      );
    },
    command: "bin/dslab",
  });
  console.log(`score ${summary.score}/${summary.maxScore}`);
} finally {
  await rm(outDir, { recursive: true, force: true });
}
