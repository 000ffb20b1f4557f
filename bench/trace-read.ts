/**
 * Reading a large trace: parseTrace (every line validated against docs/trace.schema.json)
 * against JSON.parse of every line alone, which is all the reader did before validation.
 * Usage: node bench/trace-read.ts [events]   (default 100000)
 */
import { parseTrace } from "../src/trace/reader.ts";
import { largeTrace, traceText } from "./large-trace.ts";

const target = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(target) || target < 100) {
  console.error(`usage: node bench/trace-read.ts [events]; "${process.argv[2]}" is not >= 100`);
  process.exit(2);
}

const text = traceText(largeTrace(target));
const ROUNDS = 7;

/** The median of ROUNDS timings, after one warm-up round. */
function medianMs(read: () => unknown): number {
  read();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    read();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
}

const parseOnlyMs = medianMs(() =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line)),
);
const events = parseTrace(text).events.length;
const readMs = medianMs(() => parseTrace(text));
console.log(`trace: ${events} events, ${(text.length / 2 ** 20).toFixed(2)} MiB`);
console.log(
  `JSON.parse of every line: ${parseOnlyMs.toFixed(0)} ms; parseTrace with validation: ${readMs.toFixed(0)} ms (${((readMs / parseOnlyMs - 1) * 100).toFixed(0)}% more, ${Math.round(events / (readMs / 1000)).toLocaleString("en")} events/s)`,
);
