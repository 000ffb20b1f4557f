/**
 * The HTML trace view: the view model built from recorded traces, the page's self-containment
 * and escaping, and the page itself in Debian's Chromium (loads cleanly, shows the failing
 * property and its evidence, highlights what is clicked, filters hide lanes).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../src/check/types.ts";
import { judgeTrace } from "../src/inspect/judge.ts";
import { type HeadlessChromium, launchChromium } from "../src/report/html/headless-chromium.ts";
import {
  buildViewModel,
  htmlPathFor,
  traceHtml,
  writeTraceHtml,
} from "../src/report/html/index.ts";
import { MSG_KIND, NODE_STATE, OP_STATUS } from "../src/report/html/model.ts";
import type { Trace, TraceEvent } from "../src/trace/events.ts";
import { readTrace } from "../src/trace/reader.ts";
import { TraceBuilder } from "./support/trace-builder.ts";

const DURABILITY_TRACE = "fixtures/traces/rpc-bug-memory-only-crash-after-ack.jsonl";
const CONSENSUS_TRACE = "fixtures/traces/consensus-correct.jsonl";
/** Recorded from fixtures/consensus/bug-decides-own-input, scenario clean (see its README). */
const DISAGREEMENT_TRACE = "fixtures/traces/consensus-bug-decides-own-input-clean.jsonl";

interface Frame {
  lanes: string[];
  opsDrawn: number;
  msgsDrawn: number;
  highlights: { event: number; x: number; y: number }[];
}

let durability: { trace: Trace; checks: CheckResult[] };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dslab-html-"));
  const trace = await readTrace(DURABILITY_TRACE);
  durability = { trace, checks: judgeTrace(trace).checks };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("view model", () => {
  it("draws the crash, the restart, the lost write and its evidence where they happened", () => {
    const model = buildViewModel(durability.trace, durability.checks);
    const laneOf = (name: string) => model.lanes.findIndex((lane) => lane.name === name);
    expect(model.lanes.map((lane) => `${lane.kind}:${lane.name}`)).toEqual([
      "harness:harness",
      "client:c1",
      "link:c1-n1",
      "node:n1",
    ]);
    const n1 = laneOf("n1");
    const downs = model.spans.state.flatMap((state, i) =>
      state === NODE_STATE.down && model.spans.lane[i] === n1 ? [i] : [],
    );
    expect(downs.length).toBeGreaterThanOrEqual(2); // two kills in the probe
    const op4 = model.ops.id.indexOf(4);
    expect(model.ops.label[op4]).toBe('SET /dur/k0 "set 0"');
    expect(model.ops.status[op4]).toBe(OP_STATUS.ok);
    expect(model.ops.lane[op4]).toBe(laneOf("c1"));
    // Every transmission got its reply (none is left dangling), and duplicates are told apart.
    expect(model.msgs.t1.every((t) => t >= 0)).toBe(true);
    expect(model.msgs.kind).toContain(MSG_KIND.duplicate);
    const check = model.checks.find((c) => c.property === "durability");
    expect(check?.verdict).toBe("fail");
    const placed = (check?.evidence[0]?.events ?? []).map((k) => model.evidenceEvents[k]);
    const kill = placed.find((e) => e?.text.includes("killed"));
    expect(kill?.lane).toBe(n1);
    expect(check?.evidence[0]?.ops).toEqual([4, 6]);
  });

  it("puts lab 2's decisions on their node lanes and every link fault on its link", async () => {
    const model = buildViewModel(await readTrace(CONSENSUS_TRACE), []);
    const decisions = model.marks.text.filter((text) => text.startsWith("decide slot"));
    expect(decisions.length).toBe(11);
    expect(model.lanes.filter((lane) => lane.kind === "node").map((l) => l.name)).toEqual([
      "n1",
      "n2",
      "n3",
    ]);
    for (let i = 0; i < model.msgs.t0.length; i++) {
      expect(model.lanes[model.msgs.node[i] as number]?.kind).toBe("node");
    }
  });

  it("marks a skipped fault and its reason on the harness lane", () => {
    const { header, events } = durability.trace;
    const reason = "n1 was not up (restarting after fault 1's crash)";
    const skip: TraceEvent = {
      type: "nemesis.skip",
      t: 100,
      id: 2,
      fault: { kind: "pause", node: "n1" },
      reason,
    };
    const model = buildViewModel({ header, events: [...events, skip] }, []);
    // Told as inspect tells it: one describer for both.
    const i = model.marks.text.indexOf(`nemesis fault #2 skipped (pause n1): ${reason}`);
    expect(model.lanes[model.marks.lane[i] as number]?.kind).toBe("harness");
  });
});

describe("the page", () => {
  it("is one file with nothing to fetch, and escapes what students and checkers wrote", async () => {
    const builder = new TraceBuilder();
    builder.ready(0).okCall("c1", { proc: "GET", key: "/a" }, 1, 2, "KV_KEY_NOT_FOUND");
    builder.add({ type: "node.log", t: 3, node: "n1", stream: "stderr", line: "</script><b>x" });
    const hostile: CheckResult = {
      property: "durability",
      verdict: "fail",
      summary: 'lost <img src=x onerror="alert(1)">',
      evidence: [{ message: "</script><script>alert(2)</script>", events: [0, 1] }],
    };
    const html = await traceHtml(builder.end(4).trace(), [hostile]);
    expect(html).not.toMatch(/<img|<script>alert|<b>x/);
    expect(html).toContain("lost &#60;img src=x");
    expect(html).not.toMatch(/<(link|iframe|img)\b|\bsrc=["']?https?:|@import|url\(/i);
    expect(html.match(/<script\b/g)?.length).toBe(2); // the data and the viewer, both inline
    expect(htmlPathFor("/x/run/trace.jsonl")).toBe("/x/run/trace.html");
    // The recorded 121-event run: the page stays small (the viewer is most of it).
    const recorded = await traceHtml(durability.trace, durability.checks);
    expect(recorded.length).toBeLessThan(100_000);
  });
});

describe("in Chromium", () => {
  let browser: HeadlessChromium;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    browser = await launchChromium(); // fails with "install Debian package chromium" if absent
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(trace: Trace, checks: CheckResult[], name: string): Promise<void> {
    const path = join(dir, name);
    await writeTraceHtml(trace, checks, path);
    page = await browser.context.newPage();
    errors = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("request", (request) => {
      if (!request.url().startsWith("file:")) errors.push(`network request: ${request.url()}`);
    });
    await page.goto(`file://${path}`);
    await page.waitForFunction("window.dslabViewer?.frames > 0", null, { timeout: 30_000 });
  }

  const frame = async (): Promise<Frame> => {
    // Let a pending redraw (scheduled on the next animation frame) happen first.
    await page.evaluate("new Promise((resolve) => requestAnimationFrame(resolve))");
    return page.evaluate<Frame>("window.dslabViewer.frame");
  };

  it("shows the failing property and its evidence, and highlights a clicked item", async () => {
    await open(durability.trace, durability.checks, "durability.html");
    expect(await page.title()).toContain("FAIL");
    const check = page.locator("details.check.fail", { hasText: "durability" });
    await expect(check.locator("summary").textContent()).resolves.toContain("durability");
    const evidence = check.locator(".evidence").first();
    await expect(evidence.textContent()).resolves.toContain("was acknowledged before the crash");
    expect((await frame()).highlights).toEqual([]);

    await evidence.locator(".message").click();
    expect(await evidence.getAttribute("class")).toContain("selected");
    const wanted = durability.checks
      .find((c) => c.property === "durability")
      ?.evidence[0]?.events.slice()
      .sort((a, b) => a - b);
    const shown = (await frame()).highlights.map((h) => h.event).sort((a, b) => a - b);
    expect(shown).toEqual(wanted);

    const line = evidence.locator(".evidence-event", { hasText: "killed" });
    await line.click();
    expect(await line.getAttribute("class")).toContain("focused");
    await expect(page.locator("#details-body").textContent()).resolves.toContain('"node.kill"');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a lab 2 violation (nodes that disagree) recorded from a buggy fixture", async () => {
    const trace = await readTrace(DISAGREEMENT_TRACE);
    const { checks } = judgeTrace(trace);
    await open(trace, checks, "agreement.html");
    expect(await page.title()).toContain("FAIL");
    const check = page.locator("details.check.fail", { hasText: "agreement" });
    const evidence = check.locator(".evidence").first();
    await expect(evidence.textContent()).resolves.toContain("different");
    await evidence.locator(".message").click();
    const wanted = checks
      .find((c) => c.property === "agreement")
      ?.evidence[0]?.events.slice()
      .sort((a, b) => a - b);
    const shown = (await frame()).highlights.map((h) => h.event).sort((a, b) => a - b);
    expect(shown).toEqual(wanted);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("hides a client's and a node's items when they are filtered out", async () => {
    await open(durability.trace, durability.checks, "filters.html");
    const before = await frame();
    expect(before.lanes).toContain("c1");
    expect(before.opsDrawn).toBeGreaterThan(0);
    await page.getByLabel("c1", { exact: true }).uncheck();
    const after = await frame();
    expect(after.lanes).not.toContain("c1");
    expect(after.lanes).not.toContain("c1-n1");
    expect(after.opsDrawn).toBe(0);
    expect(after.msgsDrawn).toBe(0);
    expect(await page.locator("#log-list .log-row").count()).toBeGreaterThan(0);
    await page.getByLabel("n1", { exact: true }).uncheck();
    expect(await page.locator("#log-list .log-row").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();

    await open(await readTrace(CONSENSUS_TRACE), [], "consensus.html");
    const all = await frame();
    await page.getByLabel("n2", { exact: true }).uncheck();
    const without = await frame();
    expect(without.lanes).toEqual(all.lanes.filter((lane) => lane !== "n2" && lane !== "c1-n2"));
    expect(without.lanes).toContain("n3");
    expect(without.msgsDrawn).toBeGreaterThan(0);
    expect(without.msgsDrawn).toBeLessThan(all.msgsDrawn);
    expect(errors).toEqual([]);
    await page.close();
  });
});
