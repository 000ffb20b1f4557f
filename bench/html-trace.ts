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
import { largeTrace, traceText } from "./large-trace.ts";

const target = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(target) || target < 100) {
  console.error(`usage: node bench/html-trace.ts [events]; "${process.argv[2]}" is not >= 100`);
  process.exit(2);
}

const trace = largeTrace(target);
const endMs = trace.events.at(-1)?.t ?? 0;

const dir = await mkdtemp(join(tmpdir(), "dslab-bench-html-"));
try {
  const jsonl = join(dir, "trace.jsonl");
  await writeFile(jsonl, traceText(trace));
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
      api.setView(0, ${endMs / 4});
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
