/**
 * `dslab check`: the lab's checkers re-run on recorded traces (fixtures/traces) give the
 * verdicts of the live runs that wrote them; unreadable input is refused with its reason.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Verdict } from "../src/check/types.ts";
import { judgeTrace } from "../src/inspect/judge.ts";
import { locateTraces } from "../src/inspect/locate.ts";
import { parseTrace } from "../src/trace/reader.ts";

const TRACES = "fixtures/traces";
const MEMORY_ONLY = `${TRACES}/rpc-bug-memory-only-crash-after-ack.jsonl`;
const REFERENCE = `${TRACES}/rpc-cpp-reference-crash-after-ack.jsonl`;

/** The per-property verdicts each live run wrote to its result.json. */
const LIVE: Record<string, { verdict: string; checks: Record<string, Verdict> }> = {
  "rpc-bug-memory-only-crash-after-ack.jsonl": {
    verdict: "fail",
    checks: {
      "at-most-once": "fail",
      durability: "fail",
      progress: "pass",
      "wire-conformance": "pass",
      "stall-isolation": "skipped",
      "memory-bound": "skipped",
      evidence: "pass",
      // Recorded before dslab verified the fault network.
      "fault-integrity": "skipped",
    },
  },
  "rpc-bug-no-replay-cache-duplicates.jsonl": {
    verdict: "fail",
    checks: {
      "at-most-once": "fail",
      durability: "skipped",
      progress: "pass",
      "wire-conformance": "pass",
      "stall-isolation": "skipped",
      "memory-bound": "skipped",
      evidence: "pass",
      // Recorded before dslab verified the fault network.
      "fault-integrity": "skipped",
    },
  },
  "rpc-bug-one-read-one-record-wire.jsonl": {
    verdict: "fail",
    checks: {
      "at-most-once": "pass",
      durability: "skipped",
      progress: "skipped",
      "wire-conformance": "fail",
      "stall-isolation": "skipped",
      "memory-bound": "skipped",
      evidence: "pass",
      // Recorded before dslab verified the fault network.
      "fault-integrity": "skipped",
    },
  },
  "consensus-bug-decides-own-input-clean.jsonl": {
    verdict: "fail",
    checks: {
      agreement: "fail",
      validity: "pass",
      integrity: "pass",
      "output-format": "pass",
      termination: "pass",
      availability: "skipped",
      evidence: "pass",
      // Recorded before dslab verified the fault network.
      "fault-integrity": "skipped",
    },
  },
  "kvr-bug-cache-per-node-clean.jsonl": {
    verdict: "fail",
    checks: {
      linearizability: "fail",
      durability: "skipped",
      "cluster-cookie": "pass",
      "wire-conformance": "pass",
      availability: "skipped",
      termination: "pass",
      "memory-bound": "skipped",
      evidence: "pass",
      "fault-integrity": "pass",
    },
  },
  "rpc-cpp-reference-crash-after-ack.jsonl": {
    verdict: "pass",
    checks: {
      "at-most-once": "pass",
      durability: "pass",
      progress: "pass",
      "wire-conformance": "pass",
      "stall-isolation": "skipped",
      "memory-bound": "skipped",
      evidence: "pass",
      // Recorded before dslab verified the fault network.
      "fault-integrity": "skipped",
    },
  },
};

const verdictsOf = (checks: Array<{ property: string; verdict: Verdict }>) =>
  Object.fromEntries(checks.map((c) => [c.property, c.verdict]));

async function load(path: string) {
  return parseTrace(await readFile(path, "utf8"), path);
}

/** The trace text with its last line cut off mid-write, as an interrupted run leaves it. */
async function cutOff(path: string): Promise<string> {
  const text = await readFile(path, "utf8");
  return text.slice(0, text.length - 15);
}

describe("judgeTrace on recorded traces", () => {
  for (const [file, live] of Object.entries(LIVE)) {
    it(`gives the live run's verdicts on ${file}`, async () => {
      const judgement = judgeTrace(await load(`${TRACES}/${file}`));
      expect(verdictsOf(judgement.checks)).toEqual(live.checks);
      expect(judgement.verdict).toBe(live.verdict);
      expect(judgement.incomplete).toBeUndefined();
    });
  }

  it("names the lost write and the read in the memory-only durability evidence", async () => {
    const judgement = judgeTrace(await load(MEMORY_ONLY));
    const durability = judgement.checks.find((c) => c.property === "durability");
    expect(durability?.evidence[0]?.ops).toEqual([4, 6]);
  });

  it("still checks a trace whose last line was cut off, and never lets it pass", async () => {
    const failing = judgeTrace(parseTrace(await cutOff(MEMORY_ONLY), "cut"));
    expect(verdictsOf(failing.checks)).toEqual(
      LIVE["rpc-bug-memory-only-crash-after-ack.jsonl"]?.checks,
    );
    expect(failing.verdict).toBe("fail");
    expect(failing.incomplete).toContain("cut off");
    const passing = judgeTrace(parseTrace(await cutOff(REFERENCE), "cut"));
    expect(verdictsOf(passing.checks)).toEqual(
      LIVE["rpc-cpp-reference-crash-after-ack.jsonl"]?.checks,
    );
    expect(passing.verdict).toBe("unknown");
  });

  it("refuses a trace of a lab it does not know, saying which labs it has", async () => {
    const trace = await load(REFERENCE);
    trace.header.lab = "nosuchlab";
    expect(() => judgeTrace(trace)).toThrow(/nosuchlab.*rpc/);
  });
});

describe("locateTraces", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dslab-locate-"));
    for (const [name, source] of [
      ["crash-after-ack-seed1", MEMORY_ONLY],
      ["crash-after-ack-seed2", REFERENCE],
    ] as const) {
      await mkdir(join(dir, "out", name), { recursive: true });
      await writeFile(join(dir, "out", name, "trace.jsonl"), await readFile(source));
    }
    // Recorded paths from another machine: the traces are found next to summary.json.
    const results = ["crash-after-ack-seed1", "crash-after-ack-seed2"].map((name) => ({
      tracePath: `/elsewhere/dslab-out/rpc-x/${name}/trace.jsonl`,
    }));
    await writeFile(join(dir, "out", "summary.json"), JSON.stringify({ results }));
    await mkdir(join(dir, "empty"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("takes a trace file as it is", async () => {
    expect(await locateTraces(MEMORY_ONLY)).toEqual([MEMORY_ONLY]);
  });

  it("finds trace.jsonl in a run directory", async () => {
    const run = join(dir, "out", "crash-after-ack-seed1");
    expect(await locateTraces(run)).toEqual([join(run, "trace.jsonl")]);
  });

  it("finds every trace of an output directory, in summary order, after it was moved", async () => {
    expect(await locateTraces(join(dir, "out"))).toEqual([
      join(dir, "out", "crash-after-ack-seed1", "trace.jsonl"),
      join(dir, "out", "crash-after-ack-seed2", "trace.jsonl"),
    ]);
  });

  it("says what it wanted when a path is missing or a directory holds no trace", async () => {
    await expect(locateTraces(join(dir, "missing"))).rejects.toThrow(/does not exist/);
    await expect(locateTraces(join(dir, "empty"))).rejects.toThrow(
      /neither trace.jsonl nor summary.json/,
    );
  });
});

describe("dslab check (the CLI, end to end)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dslab-check-cli-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const dslab = (...args: string[]) =>
    execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
      reject: false,
      timeout: 60_000,
    });

  it("exits 1 on a failing trace and prints the verdicts and evidence as the live run does", async () => {
    const r = await dslab("check", MEMORY_ONLY);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^ {2}FAIL {4}crash-after-ack \(seed 1\)/);
    expect(r.stdout).toContain(
      "      durability FAILED: 1 acknowledged write was lost in a crash: op 4 (SET /dur/k0",
    );
    expect(r.stdout).toContain("      progress passed:");
    expect(r.stdout).toContain(
      "reproduce: bin/dslab test rpc fixtures/rpc/bug-memory-only --scenario crash-after-ack --seed 1",
    );
  });

  it("exits 0 on a passing trace and 1 on a directory holding a failing one too", async () => {
    const pass = await dslab("check", REFERENCE);
    expect(pass.exitCode).toBe(0);
    expect(pass.stdout).toContain("PASS");
    const both = await dslab("check", "--json", REFERENCE, MEMORY_ONLY);
    expect(both.exitCode).toBe(1);
    const report = JSON.parse(both.stdout) as Array<{ verdict: string; scenario: string }>;
    expect(report.map((r) => r.verdict)).toEqual(["pass", "fail"]);
  });

  it("exits 2 with the reason on a file that is not a trace", async () => {
    const r = await dslab("check", "package.json");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("package.json is not a dslab trace");
  });

  it("exits 2 with the reason on a trace of a newer format version", async () => {
    const future = join(dir, "future.jsonl");
    const text = await readFile(REFERENCE, "utf8");
    await writeFile(future, text.replace('"version":1,', '"version":2,'));
    const r = await dslab("check", future);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/trace format version 2 is not supported.*reads version 1/);
  });
});
