/**
 * Makes docs/img/terminal-status-line.png: `dslab test` in a real terminal (tmux, 110x24) while
 * its second scenario runs, the live status line at the bottom and a coloured failure above.
 * Needs tmux and chromium (apt-get install tmux chromium). Run: node scripts/screenshot-terminal.ts
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "../src/report/html/headless-chromium.ts";

const SESSION = "dslab-screenshot";
const OUT = "docs/img/terminal-status-line.png";
const tmux = (...args: string[]) => execFileSync("tmux", args, { encoding: "utf8" });

const work = mkdtempSync(join(tmpdir(), "dslab-shot-"));
chmodSync(work, 0o755); // the sandbox user must reach the run's folder (protections on)
const runDir = join(work, "out");
tmux(
  "new-session",
  "-d",
  "-s",
  SESSION,
  "-x",
  "110",
  "-y",
  "24",
  `bin/dslab test rpc fixtures/rpc/bug-no-replay-cache --seed 1 --scenario clean lost-replies --time-scale 0.5 --out ${runDir}; sleep 30`,
);
let screen = "";
try {
  for (
    let tries = 0;
    tries < 240 && !/running lost-replies .* [1-9]\d* faults/.test(screen);
    tries++
  ) {
    execFileSync("sleep", ["0.25"]);
    screen = tmux("capture-pane", "-p", "-e", "-t", SESSION);
  }
} finally {
  tmux("kill-session", "-t", SESSION);
}

/** The SGR codes dslab uses, as CSS. */
const CSS: Record<string, string> = {
  "1": "font-weight:bold",
  "2": "opacity:0.6",
  "31": "color:#e06c75",
  "32": "color:#98c379",
  "33": "color:#e5c07b",
  "35": "color:#c678dd",
  "36": "color:#56b6c2",
};
const escapeHtml = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
// An SGR escape (ESC [ codes m), or a run of text without escapes.
const ESC = "\u001b";
const SGR_OR_TEXT = new RegExp(`${ESC}\\[([\\d;]*)m|([^${ESC}]+)`, "g");
let open: string[] = [];
const html = screen.replaceAll(
  SGR_OR_TEXT,
  (_, codes: string | undefined, text: string | undefined) => {
    if (text !== undefined) {
      return `<span style="${open.join(";")}">${escapeHtml(text)}</span>`;
    }
    for (const code of (codes ?? "").split(";")) {
      if (code === "" || code === "0" || code === "39" || code === "22" || code === "49") open = [];
      else if (CSS[code]) open.push(CSS[code]);
    }
    return "";
  },
);
const page = `<body style="margin:0;background:#1e2127"><pre style="margin:0;padding:14px;color:#dcdfe4;font:14px/1.35 'DejaVu Sans Mono',monospace">${html}</pre></body>`;
const file = join(work, "screen.html");
writeFileSync(file, page);
const chromium = await launchChromium({ width: 1130, height: 490 });
const tab = await chromium.context.newPage();
await tab.goto(`file://${file}`);
await tab.screenshot({ path: OUT });
await chromium.close();
console.log(`wrote ${OUT}`);
