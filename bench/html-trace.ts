/**
 * Size and load time of the HTML trace view on a large synthetic trace: clients doing calls
 * (invoke, transmission, reply, ok), node log lines, link faults and crashes. Prints the trace
 * and page sizes and how long Debian's Chromium takes until the canvas has drawn.
 * Usage: node bench/html-trace.ts [events]   (default 100000)
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "../src/report/html/headless-chromium.ts";
import { writeTraceHtml } from "../src/report/html/index.ts";
import { get, result, set, success, TraceBuilder } from "../test/support/trace-builder.ts";

const target = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(target) || target < 100) {
  console.error(`usage: node bench/html-trace.ts [events]; "${process.argv[2]}" is not >= 100`);
  process.exit(2);
}

const CLIENTS = 8;
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
const trace = builder.end(t + 10).trace();

const dir = await mkdtemp(join(tmpdir(), "dslab-bench-html-"));
try {
  const jsonl = join(dir, "trace.jsonl");
  await writeFile(
    jsonl,
    `${[trace.header, ...trace.events].map((e) => JSON.stringify(e)).join("\n")}\n`,
  );
  const html = join(dir, "trace.html");
  const started = performance.now();
  await writeTraceHtml(trace, [], html);
  const writeMs = performance.now() - started;
  const mib = async (path: string) => ((await stat(path)).size / 2 ** 20).toFixed(2);
  console.log(`trace: ${trace.events.length} events, ${await mib(jsonl)} MiB as JSON Lines`);
  console.log(`trace.html: ${await mib(html)} MiB, written in ${writeMs.toFixed(0)} ms`);

  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    const loadStart = performance.now();
    await page.goto(`file://${html}`, { timeout: 120_000 });
    await page.waitForFunction("window.dslabViewer?.frames > 0", null, { timeout: 120_000 });
    const loadMs = performance.now() - loadStart;
    const firstDrawMs = await page.evaluate<number>("window.dslabViewer.firstDrawMs");
    // A redraw after zooming in, as the user's wheel causes it.
    const redrawMs = await page.evaluate<number>(`new Promise((resolve) => {
      const api = window.dslabViewer;
      const before = api.frames;
      const start = performance.now();
      api.setView(0, ${t / 4});
      const wait = () => api.frames > before ? resolve(performance.now() - start) : requestAnimationFrame(wait);
      requestAnimationFrame(wait);
    })`);
    console.log(
      `chromium: canvas drawn ${loadMs.toFixed(0)} ms after navigation started (page clock: first draw at ${firstDrawMs.toFixed(0)} ms); a zoom redraws in ${redrawMs.toFixed(0)} ms`,
    );
    if (errors.length > 0) {
      console.error(`page errors: ${errors.join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    await browser.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
