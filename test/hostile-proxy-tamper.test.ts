/**
 * Finding 1 of issue 12, whatever the isolation: fixtures/hostile/proxy-tamper reaches its
 * run's Toxiproxy API, moves every proxy aside and relays their addresses straight to its
 * server, so that no fault reaches it (on dslab before fault verification it got 10/10 for
 * lost-replies). The run is driven here without the sandbox user (as on a laptop, or where
 * root is not available), so the tampering succeeds and only verification can catch it: the
 * scenario must fail on fault-integrity, not end in a harness error.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSubmission } from "../src/lab/build.ts";
import { selectScenarios } from "../src/lab/definition.ts";
import { loadSubmission } from "../src/lab/run-lab.ts";
import { runScenario } from "../src/lab/run-scenario.ts";
import { readTrace } from "../src/trace/reader.ts";
import { TIME_SCALE } from "./support/e2e.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const FIXTURE = new URL("../fixtures/hostile/proxy-tamper", import.meta.url).pathname;

describe("a node that moves the fault proxies aside (fixtures/hostile/proxy-tamper)", () => {
  it("fails lost-replies on fault-integrity, with no harness error", async () => {
    const outDir = await tempDir("dslab-proxy-tamper-");
    const loaded = await loadSubmission("rpc", FIXTURE);
    const build = await buildSubmission(loaded.submission, loaded.manifest, outDir);
    expect(build.ok).toBe(true);
    const [scenario] = selectScenarios(loaded.definition, ["lost-replies"]);
    if (!scenario) throw new Error("lab rpc has no lost-replies");
    const result = await runScenario({
      ...loaded,
      scenario,
      seed: 1,
      timeScale: TIME_SCALE,
      submissionPath: loaded.submission,
      buildDir: build.dir,
      runDir: join(outDir, "lost-replies-seed1"),
      reproduce: "(test)",
      signal: new AbortController().signal,
    });
    const trace = await readTrace(result.tracePath);
    const tampering = trace.events.flatMap((e) =>
      e.type === "node.log" && e.line.startsWith("tamper:") ? [e.line] : [],
    );
    // The tampering happened: every client link's proxy was moved.
    expect(tampering.filter((line) => line.includes("moved"))).toHaveLength(5);
    expect(result.harnessError).toBeUndefined();
    expect(result.verdict).toBe("fail");
    const integrity = result.checks.find((c) => c.property === "fault-integrity");
    expect(integrity?.verdict).toBe("fail");
    const found = new Set(integrity?.evidence.map((e) => e.message.split(": ")[1]?.split(" ")[0]));
    // The API shows the proxies moved; the kernel shows who took their addresses.
    expect(found).toContain("listen");
    expect(found).toContain("listener");
  }, 120_000);
});
