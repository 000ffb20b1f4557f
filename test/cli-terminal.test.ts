/**
 * `dslab test` on a terminal: verdicts in colour and a live status line (runs going on, elapsed,
 * calls, faults, runs done) redrawn in place; plain lines, without one escape, under CI and
 * NO_COLOR. The real-terminal cases run the CLI in a pseudo-terminal (util-linux `script`).
 */
import { resolve } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { colourLine, StatusLine, wantsLiveTerminal } from "../src/cli/live-terminal.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const tty = { isTTY: true, write: () => true };

describe("wantsLiveTerminal", () => {
  it("only on a terminal, never under NO_COLOR, CI or TERM=dumb", () => {
    expect(wantsLiveTerminal(tty, { TERM: "xterm" })).toBe(true);
    expect(wantsLiveTerminal({ write: () => true }, { TERM: "xterm" })).toBe(false);
    expect(wantsLiveTerminal(tty, { NO_COLOR: "1" })).toBe(false);
    expect(wantsLiveTerminal(tty, { NO_COLOR: "" })).toBe(true);
    expect(wantsLiveTerminal(tty, { CI: "true" })).toBe(false);
    expect(wantsLiveTerminal(tty, { CI: "false" })).toBe(true);
    expect(wantsLiveTerminal(tty, { TERM: "dumb" })).toBe(false);
  });
});

describe("colourLine", () => {
  it("colours verdicts and labels, and the words stay those of the plain output", () => {
    for (const line of [
      "  PASS    clean (seed 1)    10/10",
      "  FAIL    clean (seed 1)     0/10",
      "      at-most-once FAILED: op 26 ...",
      "      reproduce: bin/dslab test rpc x --seed 1",
      "score 0/10: 0 passed, 1 failed",
    ]) {
      const coloured = colourLine(line);
      expect(coloured).not.toBe(line);
      expect(stripVTControlCharacters(coloured)).toBe(line);
    }
    expect(colourLine("  FAIL    x")).toContain("\x1b[31m");
    expect(colourLine("  PASS    x")).toContain("\x1b[32m");
  });
});

describe("StatusLine", () => {
  it("draws the runs going on below printed lines, and is gone at the end", () => {
    const written: string[] = [];
    let now = 1000;
    const status = new StatusLine(
      { write: (text: string) => written.push(text), columns: 200 },
      4,
      () => now,
    );
    const run = { scenario: "clean", seed: 3 };
    status.start(run);
    now += 2500;
    status.event(run, { type: "op.invoke", t: 1 } as never);
    status.event(run, { type: "op.invoke", t: 2 } as never);
    status.event(run, { type: "nemesis.start", t: 3 } as never);
    expect(status.render()).toBe("[0/4 done] running clean (seed 3) 2.5 s, 2 ops, 1 faults");
    status.print("a result line");
    status.finish(run);
    status.close();
    const screen = written.join("");
    expect(screen).toContain("\r\x1b[2K");
    expect(stripVTControlCharacters(screen)).toContain("a result line\n");
    expect(screen.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("fits the terminal's width", () => {
    const written: string[] = [];
    const status = new StatusLine({ write: (text: string) => written.push(text), columns: 30 }, 1);
    status.start({ scenario: "a-very-long-scenario-name", seed: 12345 });
    status.close();
    const drawn = stripVTControlCharacters(written[0] ?? "").replace("\r", "");
    expect(drawn.length).toBeLessThanOrEqual(29);
    expect(drawn.endsWith("…")).toBe(true);
  });
});

/** The CLI in a pseudo-terminal: what a person's terminal receives, escapes and all. */
async function inTerminal(env: Record<string, string>): Promise<string> {
  const out = await tempDir("dslab-tty-");
  const command = [
    process.execPath,
    "--disable-warning=ExperimentalWarning",
    resolve("src/cli/main.ts"),
    "test counter fixtures/counter/python-reference --seed 1 --out",
    `${out}/run`,
  ].join(" ");
  const result = await execa("script", ["-qefc", command, "/dev/null"], {
    extendEnv: false,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...(process.env.DSLAB_TOXIPROXY ? { DSLAB_TOXIPROXY: process.env.DSLAB_TOXIPROXY } : {}),
      TERM: "xterm-256color",
      ...env,
    },
    reject: false,
    timeout: 120_000,
  });
  expect(result.exitCode, result.stdout).toBe(0);
  return result.stdout;
}

describe("in a real terminal", () => {
  it("shows the live status line and coloured verdicts", { timeout: 150_000 }, async () => {
    const screen = await inTerminal({});
    expect(screen).toContain("\r\x1b[2K\x1b[2m[0/1 done] running slow-links (seed 1) ");
    expect(stripVTControlCharacters(screen)).toMatch(
      /\[0\/1 done\] running slow-links \(seed 1\) \d+\.\d s, [1-9]\d* ops, [1-9]\d* faults/,
    );
    expect(screen).toContain("\x1b[32m\x1b[1mPASS");
    expect(stripVTControlCharacters(screen)).toContain("score 10/10");
  });

  it("is plain under CI and NO_COLOR", { timeout: 300_000 }, async () => {
    for (const env of [{ CI: "true" }, { NO_COLOR: "1" }] as Record<string, string>[]) {
      const screen = await inTerminal(env);
      expect(screen).toBe(stripVTControlCharacters(screen));
      expect(screen).toMatch(/PASS +slow-links \(seed 1\)/);
    }
  });
});
