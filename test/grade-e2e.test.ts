/**
 * `dslab grade` and `dslab grade-all` with real submissions, processes and proxies: the
 * student view never shows hidden scenarios, a scenario that does not fit the budget is a
 * failed test with its reason, a grader SIGKILLed midway leaves valid partial results, and a
 * class folder (good, buggy, unbuildable, dead and hanging submissions) becomes the expected
 * CSV with every grader's process group gone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { gradeAll, listSubmissions } from "../src/grade/grade-all.ts";
import type { GradescopeResults } from "../src/grade/gradescope.ts";
import { namesInShard } from "../src/grade/shard.ts";
import { liveProcessesInGroup } from "../src/runtime/process-group.ts";
import { processesLeftUnder, taggedLeftAfter } from "./support/processes.ts";
import { readValidResults } from "./support/results-file.ts";
import { useTempDirs } from "./support/temp-dirs.ts";
import { findAll, parseXml } from "./support/tiny-xml.ts";

const MAIN = resolve("src/cli/main.ts");
const NODE_ARGS = ["--disable-warning=ExperimentalWarning", MAIN];
const tempDir = useTempDirs();

describe("dslab grade", () => {
  it("keeps a hidden scenario out of the student's view and reports what did not fit the budget", async () => {
    const dir = await tempDir("dslab-grade-");
    const course = join(dir, "course.json");
    await writeFile(
      course,
      JSON.stringify({
        lab: "rpc",
        overrides: {
          "two-connections": { visibility: "hidden" },
          // Never fits: the budget check, not timing, decides that it is not run.
          clean: { estimatedMs: 3_600_000 },
        },
      }),
    );
    const stepSummary = join(dir, "step-summary.md");
    const out = join(dir, "out");
    const run = await execa(
      process.execPath,
      [
        ...NODE_ARGS,
        "grade",
        "rpc",
        "fixtures/rpc/python-reference",
        "--course",
        course,
        "--scenario",
        "semantics",
        "two-connections",
        "clean",
        "--seed",
        "5",
        "--budget",
        "120",
        "--out",
        out,
      ],
      { reject: false, env: { GITHUB_STEP_SUMMARY: stepSummary }, timeout: 170_000 },
    );
    expect(run.exitCode, run.stderr).toBe(1);
    const results = await readValidResults(join(out, "results.json"));
    const byName = new Map(results.tests.map((t) => [t.name.split(":")[0], t]));
    expect(byName.get("semantics")).toMatchObject({
      status: "passed",
      score: 10,
      visibility: "visible",
    });
    expect(byName.get("two-connections")).toMatchObject({
      status: "passed",
      score: 5,
      visibility: "hidden",
    });
    const clean = byName.get("clean");
    expect(clean).toMatchObject({ status: "failed", score: 0, max_score: 10 });
    expect(clean?.output).toContain("not run: the time budget of 120 s");
    expect(results.score).toBe(15);

    const studentSees = [
      run.stdout,
      results.output,
      await readFile(join(out, "summary.md"), "utf8"),
      await readFile(join(out, "junit.xml"), "utf8"),
      await readFile(stepSummary, "utf8"),
    ];
    for (const text of studentSees) {
      expect(text).not.toContain("two-connections");
      expect(text).toContain("1 more scenario is graded but not shown here");
    }
    expect(run.stdout).toContain("semantics");
    const junit = parseXml(await readFile(join(out, "junit.xml"), "utf8"));
    expect(findAll(junit, "testcase").map((c) => c.attributes.name)).toEqual([
      "semantics",
      "clean",
    ]);
    expect(findAll(junit, "failure").map((f) => f.attributes.type)).toEqual(["not-run"]);
    // Staff see everything in grade.json, with the reproduce command carrying the course file.
    const staff = JSON.parse(await readFile(join(out, "grade.json"), "utf8"));
    const hidden = staff.scenarios.find((s: { name: string }) => s.name === "two-connections");
    expect(hidden.results[0].reproduce).toContain(`--course ${course}`);
  });

  it("leaves valid partial results when SIGKILLed after the first scenario", async () => {
    const out = await tempDir("dslab-grade-kill-");
    const resultsPath = join(out, "results.json");
    const child: ChildProcess = spawn(
      process.execPath,
      [
        ...NODE_ARGS,
        "grade",
        "rpc",
        "fixtures/rpc/python-reference",
        "--scenario",
        "semantics",
        "clean",
        "xid-collision",
        "--seed",
        "2",
        "--out",
        out,
      ],
      { stdio: "ignore" },
    );
    const exited = new Promise((done) => child.once("exit", done));
    try {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const text = await readFile(resultsPath, "utf8").catch(() => "");
        const results = text ? (JSON.parse(text) as GradescopeResults) : undefined;
        if (results?.tests[0]?.status === "passed") break;
        if (Date.now() > deadline) throw new Error(`the first scenario never finished: ${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    // The reaper's watchdog must take the nodes (they run in out/build) with the dead grader,
    // and every other process it started (all carry its reaper tag).
    expect(await processesLeftUnder(out, 5_000)).toEqual([]);
    expect(await taggedLeftAfter(child.pid as number, 5_000)).toEqual([]);
    const results = await readValidResults(resultsPath);
    expect(results.tests[0]).toMatchObject({ status: "passed", score: 10 });
    const last = results.tests.at(-1);
    expect(last).toMatchObject({ status: "failed", score: 0 });
    expect(last?.output).toContain("grading stopped before this scenario finished");
    expect(results.output).toContain("Grading was cut short");
    expect(results.score).toBe(results.tests.reduce((sum, t) => sum + t.score, 0));
    parseXml(await readFile(join(out, "junit.xml"), "utf8"));
  });
});

/** RFC 4180 as classCsv writes it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  return rows;
}

describe("dslab grade-all", () => {
  const FIXTURES = [
    "python-reference",
    "bug-memory-only",
    "broken-build-fails",
    "broken-never-listens",
  ];

  async function classFolder(): Promise<string> {
    const folder = await tempDir("dslab-class-");
    for (const fixture of FIXTURES) {
      await symlink(resolve("fixtures/rpc", fixture), join(folder, fixture));
    }
    await writeFile(join(folder, "notes.txt"), "not a submission");
    return folder;
  }

  it("grades a class folder into the expected CSV, one result folder per submission", async () => {
    const folder = await classFolder();
    const out = await tempDir("dslab-class-out-");
    const outcome = await gradeAll({
      lab: "rpc",
      folder,
      outDir: out,
      jobs: 2,
      timeoutMs: 600_000,
      gradeArgs: ["--seed", "3", "--time-scale", "0.5", "--scenario", "crash-after-ack"],
      scenarios: [{ name: "crash-after-ack", points: 5 }],
      signal: new AbortController().signal,
      log: () => undefined,
    });
    const rows = parseCsv(await readFile(outcome.csvPath, "utf8"));
    expect(rows[0]).toEqual([
      "submission",
      "status",
      "score",
      "max_score",
      "crash-after-ack",
      "seconds",
      "failures",
    ]);
    const table = rows.slice(1).map(([name, status, score, max, scenario, , failures]) => ({
      name,
      status,
      points: `${score}/${max}/${scenario}`,
      failures,
    }));
    expect(table.map((r) => [r.name, r.status, r.points])).toEqual([
      ["broken-build-fails", "build-failed", "0/5/0"],
      ["broken-never-listens", "graded", "0/5/0"],
      ["bug-memory-only", "graded", "0/5/0"],
      ["python-reference", "graded", "5/5/5"],
    ]);
    expect(table[0]?.failures).toMatch(/^build failed/);
    expect(table[1]?.failures).toMatch(/^crash-after-ack: 0 of 1 runs passed/);
    expect(table[2]?.failures).toContain("durability failed");
    expect(table[3]?.failures).toBe("");
    for (const fixture of FIXTURES) {
      await readValidResults(join(out, fixture, "results.json"));
    }
    for (const pgid of outcome.groups.values())
      expect(await liveProcessesInGroup(pgid)).toEqual([]);
  });

  it("kills a hanging submission's grader with its process group at the limit, and goes on", async () => {
    const folder = await tempDir("dslab-class-hang-");
    await mkdir(join(folder, "hangs-in-build"));
    await writeFile(
      join(folder, "hangs-in-build", "dslab.json"),
      JSON.stringify({ lab: "rpc", build: "sleep 300", run: ["./server"] }),
    );
    await symlink(resolve("fixtures/rpc/broken-exits-at-start"), join(folder, "z-exits"));
    const out = await tempDir("dslab-class-hang-out-");
    const outcome = await gradeAll({
      lab: "rpc",
      folder,
      outDir: out,
      jobs: 1,
      timeoutMs: 20_000,
      gradeArgs: ["--seed", "3", "--scenario", "semantics"],
      scenarios: [{ name: "semantics", points: 10 }],
      signal: new AbortController().signal,
      log: () => undefined,
    });
    expect(outcome.rows.map((r) => [r.submission, r.status, r.score, r.maxScore])).toEqual([
      ["hangs-in-build", "timed-out", 0, 10],
      ["z-exits", "graded", 0, 10],
    ]);
    expect(outcome.rows[0]?.failures[0]).toContain("killed with its process group");
    for (const pgid of outcome.groups.values())
      expect(await liveProcessesInGroup(pgid)).toEqual([]);
    // The killed grader had written its results when it started: valid, and nothing passed.
    const partial = await readValidResults(join(out, "hangs-in-build", "results.json"));
    expect(partial.tests.every((t) => t.status === "failed")).toBe(true);
  });

  it("shards a class folder into disjoint parts that cover every submission", async () => {
    const names = await listSubmissions(await classFolder());
    expect([...names].sort()).toEqual([...FIXTURES].sort());
    const shards = [1, 2, 3].map((index) => namesInShard(names, { index, count: 3 }));
    expect(shards.flat().sort()).toEqual([...FIXTURES].sort());
    expect(new Set(shards.flat()).size).toBe(FIXTURES.length);
  });
});
