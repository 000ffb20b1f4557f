/**
 * The HTML page around the viewer: one self-contained file (inline CSS and script, no network)
 * that opens offline from a CI artifact. The header, the verdicts, the evidence lists and the
 * filters are plain HTML, readable even where the script cannot run; the timeline is drawn by
 * viewer.js from the view model, embedded as gzip + base64 (decoded by DecompressionStream).
 */
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import type { CheckView, EvidenceEvent, ViewModel } from "./model.ts";

/** The event types the filter can hide; viewer.js keys its drawing on these names. */
export const EVENT_TYPES = [
  ["ops", "client operations"],
  ["msgs", "messages (rpc.send -> reply)"],
  ["faults", "faults (nemesis)"],
  ["states", "node states, crashes, restarts"],
  ["decisions", "decisions and node events"],
  ["logs", "log ticks"],
  ["probes", "probes and harness"],
] as const;

let assets: Promise<{ script: string; style: string }> | undefined;

/** viewer.js and viewer.css are text assets beside this file, read once. */
function loadAssets(): Promise<{ script: string; style: string }> {
  assets ??= Promise.all([
    readFile(new URL("./viewer.js", import.meta.url), "utf8"),
    readFile(new URL("./viewer.css", import.meta.url), "utf8"),
  ]).then(([script, style]) => {
    if (/<\/(script|style)/i.test(script + style)) {
      throw new Error("viewer.js/viewer.css must not contain a closing script or style tag");
    }
    return { script, style };
  });
  return assets;
}

/** Every value from a trace goes through this, numbers too: a hostile trace may hold anything. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The view model as gzip-compressed JSON in base64: about a tenth of the JSON's size. */
export function encodeModel(model: ViewModel): string {
  return gzipSync(JSON.stringify(model), { level: 9 }).toString("base64");
}

function overallVerdict(checks: CheckView[]): string {
  if (checks.some((c) => c.verdict === "fail")) return "fail";
  if (checks.some((c) => c.verdict === "unknown")) return "unknown";
  return checks.length > 0 ? "pass" : "unchecked";
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function evidenceEventItem(index: number, event: EvidenceEvent): string {
  return `<li class="evidence-event" data-event="${index}" tabindex="0"><span class="t">${escapeHtml(formatMs(event.t))}</span> ${escapeHtml(event.text)}</li>`;
}

function checkSection(check: CheckView, c: number, model: ViewModel): string {
  const evidence = check.evidence
    .map((e, i) => {
      const events = e.events
        .map((k) => evidenceEventItem(k, model.evidenceEvents[k] as EvidenceEvent))
        .join("");
      return `<li class="evidence" data-check="${c}" data-evidence="${i}" tabindex="0"><p class="message">${escapeHtml(e.message)}</p>${events ? `<ul class="evidence-events">${events}</ul>` : ""}</li>`;
    })
    .join("");
  const omitted =
    check.omitted > 0
      ? `<p class="omitted">${check.omitted} more evidence items are in result.json.</p>`
      : "";
  const open = check.verdict === "fail" || check.verdict === "unknown" ? " open" : "";
  return `<details class="check ${check.verdict}"${open}><summary><span class="badge ${check.verdict}">${check.verdict}</span> ${escapeHtml(check.property)}</summary><p class="summary">${escapeHtml(check.summary)}</p>${evidence ? `<ol class="evidence-list">${evidence}</ol>` : ""}${omitted}</details>`;
}

function checkbox(name: string, value: string, label: string): string {
  return `<label><input type="checkbox" name="${name}" value="${escapeHtml(value)}" checked> ${escapeHtml(label)}</label>`;
}

function filters(model: ViewModel): string {
  const lanes = (kind: "client" | "node") =>
    model.lanes
      .map((lane, i) => ({ lane, i }))
      .filter(({ lane }) => lane.kind === kind)
      .map(({ lane, i }) => checkbox("lane", String(i), lane.name))
      .join("");
  const types = EVENT_TYPES.map(([value, label]) => checkbox("type", value, label)).join("");
  return `<section id="filters"><h2>Filters</h2>
<fieldset><legend>clients</legend>${lanes("client") || "<em>none</em>"}</fieldset>
<fieldset><legend>nodes</legend>${lanes("node") || "<em>none</em>"}</fieldset>
<fieldset><legend>key / slot</legend><input id="subject-filter" type="search" placeholder="e.g. /dur/k0 or slot 3" autocomplete="off"></fieldset>
<fieldset><legend>event types</legend>${types}</fieldset></section>`;
}

export async function renderTraceHtml(model: ViewModel): Promise<string> {
  const { script, style } = await loadAssets();
  const { meta } = model;
  const verdict = overallVerdict(model.checks);
  const title = `${meta.lab} / ${meta.scenario} / seed ${meta.seed}`;
  const chips = model.checks
    .map(
      (c, i) =>
        `<a class="chip ${c.verdict}" href="#check-${i}" data-check-chip="${i}">${escapeHtml(c.property)}: ${escapeHtml(c.verdict)}</a>`,
    )
    .join("");
  const checks =
    model.checks
      .map((c, i) => checkSection(c, i, model).replace("<details", `<details id="check-${i}"`))
      .join("") || "<p>No checks were run on this trace.</p>";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dslab ${escapeHtml(verdict.toUpperCase())}: ${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header id="top">
<h1>dslab trace: ${escapeHtml(title)} <span class="badge ${verdict}">${escapeHtml(verdict)}</span></h1>
<p class="meta">started ${escapeHtml(meta.startedAt)} · ${escapeHtml(formatMs(meta.endMs))} · ${escapeHtml(String(meta.eventCount))} events · end: ${escapeHtml(meta.endStatus)} · time scale ${escapeHtml(String(meta.timeScale))} · submission ${escapeHtml(meta.submission)} · dslab ${escapeHtml(meta.harnessVersion)}</p>
<div class="verdicts">${chips}</div>
<div class="reproduce"><span>reproduce:</span> <code id="reproduce">${escapeHtml(meta.reproduce)}</code> <button type="button" id="copy-reproduce">copy</button></div>
</header>
<main>
<aside id="left"><section id="checks"><h2>Checks</h2>${checks}</section>${filters(model)}</aside>
<section id="timeline">
<div class="toolbar"><button type="button" id="zoom-in" title="zoom in (wheel)">+</button><button type="button" id="zoom-out" title="zoom out (wheel)">−</button><button type="button" id="zoom-fit" title="the whole run">fit</button><span id="view-range"></span><span id="notice"></span></div>
<div id="canvas-wrap"><canvas id="canvas"></canvas><div id="tooltip" hidden></div></div>
<p class="legend"><i class="ok"></i>ok <i class="fail"></i>fail <i class="info"></i>indeterminate <i class="pending"></i>no answer · <i class="up"></i>node up <i class="starting"></i>starting <i class="paused"></i>paused <i class="down"></i>down · <i class="fault"></i>fault · <b class="x">✕</b> crash <b class="r">▲</b> restart <b class="d">◆</b> decision · <b class="e">◯</b> evidence · wheel: zoom, drag: pan, click: details</p>
</section>
<aside id="right">
<section id="details"><h2>Details</h2><div id="details-body">Click a bar, a mark or an evidence item.</div></section>
<section id="logs"><h2>Node logs <span id="log-count"></span></h2>
<div class="log-tools"><input id="log-filter" type="search" placeholder="filter lines" autocomplete="off"><label><input type="checkbox" id="log-in-view"> visible time only</label></div>
<div id="log-list"><div id="log-spacer"></div></div></section>
</aside>
</main>
<p id="load-error" hidden></p>
<script id="trace-data" type="application/octet-stream">${encodeModel(model)}</script>
<script>${script}</script>
</body>
</html>
`;
}
