/**
 * A large synthetic lab 1 trace for the benchmarks: clients doing calls (invoke, transmission,
 * reply, ok), node log lines, link faults and crashes, about `target` events.
 */
import type { Trace } from "../src/trace/events.ts";
import { get, result, set, success, TraceBuilder } from "../test/support/trace-builder.ts";

const CLIENTS = 8;

export function largeTrace(target: number): Trace {
  const builder = new TraceBuilder();
  builder.ready(0);
  let events = 1;
  let t = 1;
  for (let i = 0; events < target; i++) {
    const client = `c${i % CLIENTS}`;
    const call = i % 3 === 0 ? set(`/k${i % 97}`, `v${i}`) : get(`/k${i % 97}`);
    const t1 = t + 0.4 + (i % 7) * 0.1;
    const op = builder.invoke(t, client, call).send(t).ok(t1);
    builder.add({ type: "op.ok", t: t1, op: op.id, outcome: success(result(call)) });
    events += 4;
    if (i % 4 === 0) {
      builder.add({ type: "node.log", t: t + 0.2, node: "n1", stream: "stderr", line: `op ${i}` });
      events++;
    }
    if (i % 2000 === 1000) {
      builder.fault(t, t + 150, i, { kind: "blackhole", link: "n1", direction: "downstream" });
      builder.kill(t + 200).ready(t + 260, 2 + i);
      events += 4;
    }
    if (i % CLIENTS === CLIENTS - 1) t += 0.5;
  }
  return builder.end(t + 10).trace();
}

/** The trace as trace.jsonl holds it. */
export function traceText(trace: Trace): string {
  return `${[trace.header, ...trace.events].map((e) => JSON.stringify(e)).join("\n")}\n`;
}
