/**
 * A trace is student-controlled input that a TA opens in a browser: markup in any header field
 * or event string must reach the HTML view as text, never as a tag or a script. Checked on the
 * page's text, then in Debian's Chromium (the payloads set a global if they ever run).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judgeTrace } from "../src/inspect/judge.ts";
import { type HeadlessChromium, launchChromium } from "../src/report/html/headless-chromium.ts";
import { traceHtml } from "../src/report/html/index.ts";
import type { Trace, TraceEvent } from "../src/trace/events.ts";
import { parseTrace } from "../src/trace/reader.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const REFERENCE = "fixtures/traces/rpc-cpp-reference-crash-after-ack.jsonl";
const IMG = "<img src=x onerror=window.__pwned=1>";
const SCRIPT = "</script><script>window.__pwned=2</script>";
const COMMENT = "<!--<script>window.__pwned=3</script>";
const PAYLOAD = `${IMG}${SCRIPT}${COMMENT}`;

const tempDir = useTempDirs();

/** The reference trace with the payload in every header string and in events' strings. */
async function hostileTrace(): Promise<Trace> {
  const trace = parseTrace(await readFile(REFERENCE, "utf8"), REFERENCE);
  const h = trace.header;
  Object.assign(h, {
    scenario: PAYLOAD,
    startedAt: PAYLOAD,
    reproduce: PAYLOAD,
    submission: { path: PAYLOAD, manifest: { build: PAYLOAD, run: [PAYLOAD] } },
    harness: { ...h.harness, version: PAYLOAD },
    params: { ...h.params, probe: PAYLOAD },
    // Numbers a reader refuses as strings, for a trace built in memory without the reader.
    seed: PAYLOAD,
    timeScale: PAYLOAD,
  });
  const hostile: TraceEvent[] = [
    { type: "node.log", t: 1, node: "n1", stream: "stderr", line: PAYLOAD },
    { type: "node.failed", t: 1, node: "n1", incarnation: 9, reason: PAYLOAD },
    { type: "node.event", t: 1, node: "n1", event: { type: "decide", value: PAYLOAD } },
    { type: "node.event", t: 1, node: "n1", event: { type: PAYLOAD } },
    { type: "conn.open", t: 1, conn: 999, client: PAYLOAD, link: PAYLOAD },
    { type: "op.invoke", t: 1, op: 999, client: PAYLOAD, call: { proc: "GET", key: PAYLOAD } },
    { type: "op.fail", t: 2, op: 999, reason: PAYLOAD },
    { type: "probe", t: 2, probe: PAYLOAD, step: PAYLOAD, detail: { x: PAYLOAD } },
    { type: "net.repair", t: 2, link: PAYLOAD, reason: PAYLOAD },
    {
      type: "net.verify",
      t: 2,
      links: 1,
      // A tampering node chooses what the server reports (a proxy's listen address, say).
      mismatches: [{ link: PAYLOAD, what: "listen", wanted: PAYLOAD, found: PAYLOAD }],
    },
    { type: "harness.error", t: 2, message: PAYLOAD },
    {
      type: "nemesis.start",
      t: 3,
      id: 99,
      fault: { kind: "partition", name: PAYLOAD, cuts: [[PAYLOAD, "n1"]] },
    },
  ];
  const end = trace.events.findIndex((e) => e.type === "end");
  trace.events.splice(end, 0, ...hostile);
  const last = trace.events.at(-1);
  if (last?.type === "end") last.reason = PAYLOAD;
  return trace;
}

let html: string;
let path: string;

beforeAll(async () => {
  const trace = await hostileTrace();
  html = await traceHtml(trace, judgeTrace(trace).checks);
  path = join(await tempDir("dslab-html-hostile-"), "trace.html");
  await writeFile(path, html);
});

describe("the page's text", () => {
  it("holds no injected tag, only escaped text", () => {
    expect(html).not.toContain("<img");
    expect(html).not.toContain("window.__pwned=2</script>");
    expect(html).not.toContain("<!--");
    // The page's own two scripts (data and viewer), no more.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).toContain("&#60;img src=x onerror=window.__pwned=1&#62;");
  });

  it("embeds the view model as base64 only, so no string can close its script element", () => {
    const data = /<script id="trace-data" type="application\/octet-stream">([^<]*)<\/script>/.exec(
      html,
    )?.[1];
    expect(data).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
});

describe("in Chromium", () => {
  let browser: HeadlessChromium;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("runs no injected script, shows the payload as text, and still draws", async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`file://${path}`);
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    await page.waitForFunction("window.dslabViewer?.frames > 0", null, { timeout: 30_000 });
    await page.fill("#log-filter", "img"); // the viewer lists the hostile log line
    expect(await page.evaluate("document.querySelectorAll('img').length")).toBe(0);
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(await page.locator(".meta").textContent()).toContain(IMG);
    expect(await page.locator("#log-list").textContent()).toContain(IMG);
    expect(errors).toEqual([]);
    await page.close();
  });
});
