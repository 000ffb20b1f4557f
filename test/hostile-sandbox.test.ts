/**
 * Findings 1 and 4 of issue 12 under the process runtime: as root, a node runs as a sandbox
 * user that can neither reach its run's Toxiproxy API nor read what only root may (a root-only
 * file, the harness's output beside its build folder). Skipped, with the reason, where the
 * machine does not allow the protections (not root, no setpriv, no iptables).
 */
import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sandboxSupport } from "../src/host/sandbox.ts";
import { runTests } from "../src/lab/run-lab.ts";
import { firewallSupport } from "../src/runtime/toxiproxy-firewall.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const sandbox = sandboxSupport();
const firewall = firewallSupport();
const unavailable = !sandbox.active
  ? `(skipped: ${sandbox.why})`
  : !firewall.ok
    ? `(skipped: ${firewall.why})`
    : "";

describe.skipIf(unavailable !== "")(`hostile: a node reaching out ${unavailable}`, () => {
  it("cannot reach the Toxiproxy API, nor read root's files or the harness's output", async () => {
    const root = await tempDir("dslab-reach-api-");
    // The sandbox user must be able to reach the output folder (mkdtemp made it private).
    await chmod(root, 0o711);
    const outDir = join(root, "out");
    const summary = await runTests({
      lab: "rpc",
      submission: new URL("../fixtures/hostile/reach-api", import.meta.url).pathname,
      seeds: [1],
      scenarios: ["clean"],
      timeScale: 1,
      outDir,
      signal: new AbortController().signal,
      log: () => undefined,
      onResult: () => undefined,
      command: "bin/dslab",
    });
    expect(summary.results).toHaveLength(1);
    const trace = await readFile(join(outDir, "clean-seed1", "trace.jsonl"), "utf8");
    const lines = trace
      .split("\n")
      .filter((line) => line.includes('"node.log"'))
      .map((line) => (JSON.parse(line) as { line: string }).line);
    expect(lines.find((line) => line.startsWith("found the Toxiproxy API"))).toMatch(/\[\d+\]/);
    expect(lines.filter((line) => /^(refused|denied):/.test(line))).toHaveLength(3);
    expect(lines.filter((line) => line.startsWith("ESCAPED"))).toEqual([]);
  }, 120_000);
});
