/**
 * Time and memory of a lab's checkers on recorded traces (the lab is read from each trace's
 * header): every checker's time, the total, and the process's peak RSS at the end.
 * Usage: node bench/check-trace.ts <trace.jsonl> [more traces...]
 */
import { findLab } from "../src/lab/registry.ts";
import { readTrace } from "../src/trace/reader.ts";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node bench/check-trace.ts <trace.jsonl> [more traces...]");
  process.exit(2);
}

for (const path of paths) {
  const trace = await readTrace(path);
  const lab = findLab(trace.header.lab);
  const ops = trace.events.filter((e) => e.type === "op.invoke").length;
  console.log(`${path}: lab ${lab.name}, ${trace.events.length} events, ${ops} ops`);
  let total = 0;
  for (const checker of lab.checkers) {
    const started = performance.now();
    const result = checker.check(trace);
    const ms = performance.now() - started;
    total += ms;
    console.log(
      `  ${checker.property.padEnd(18)} ${ms.toFixed(0).padStart(6)} ms  ${result.verdict}`,
    );
  }
  console.log(`  all checkers       ${total.toFixed(0).padStart(6)} ms`);
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
