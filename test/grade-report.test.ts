/**
 * The grade's pure parts: pass rules, plans and the budget gate; results.json against its
 * documented schema; the student view never naming hidden scenarios; JUnit well-formed even
 * with garbage from a submission; the class CSV; shards.
 */
import { readFile } from "node:fs/promises";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../src/check/types.ts";
import { budgetGate } from "../src/grade/budget.ts";
import { classCsv } from "../src/grade/class-csv.ts";
import { gradescopeResults } from "../src/grade/gradescope.ts";
import { junitXml } from "../src/grade/junit.ts";
import { codeBlock, summaryMarkdown } from "../src/grade/markdown.ts";
import { type PlannedScenario, passRule, planGrade } from "../src/grade/plan.ts";
import { Redactor } from "../src/grade/redact.ts";
import { type GradeReport, ReportView, type View } from "../src/grade/report.ts";
import { gradeScenario } from "../src/grade/scenario-grade.ts";
import { namesInShard, parseShard } from "../src/grade/shard.ts";
import type { LabDefinition, ScenarioDefinition } from "../src/lab/definition.ts";
import { estimateRunMs } from "../src/lab/run-estimate.ts";
import type { ScenarioResult } from "../src/lab/run-scenario.ts";
import { findAll, parseXml } from "./support/tiny-xml.ts";

const GARBAGE = 'bad\u0000bytes \u001b[31m <tag> & "quotes" ]]> \ud800 ```';

function scenario(name: string, extra: Partial<ScenarioDefinition> = {}): ScenarioDefinition {
  return { name, title: `Title of ${name}`, description: `About ${name}`, points: 5, ...extra };
}

const LAB: LabDefinition = {
  lab: "rpc",
  title: "test lab",
  nodes: ["n1"],
  clients: ["c1"],
  workloadDefaults: { durationMs: 6000 },
  scenarios: [
    scenario("open-one", { points: 10 }),
    scenario("secret-one", { visibility: "hidden", probe: "stall", estimatedMs: 3000 }),
    scenario("later-one", { visibility: "after_due_date", nemesis: nemesis(8000) }),
    scenario("repeated", { repeat: { runs: 4, rule: "pass-rate", minPassRate: 0.75 } }),
  ],
};

function nemesis(durationMs: number): ScenarioDefinition["nemesis"] {
  return {
    durationMs,
    faults: [{ kind: "blackhole", weight: 1 }],
    gapMs: { min: 1, max: 2 },
    faultDurationMs: { min: 1, max: 2 },
    overlap: false,
    minStableMs: 0,
  };
}

function run(
  name: string,
  seed: number,
  verdict: ScenarioResult["verdict"],
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  const checks: CheckResult[] =
    verdict === "fail"
      ? [
          {
            property: "durability",
            verdict: "fail",
            summary: `lost a write of ${name}: ${GARBAGE}`,
            evidence: [{ message: `evidence from ${name}: ${GARBAGE}`, events: [1] }],
          },
        ]
      : [{ property: "progress", verdict: "pass", summary: "fine", evidence: [] }];
  return {
    scenario: name,
    seed,
    verdict,
    points: verdict === "pass" ? 5 : 0,
    maxPoints: 5,
    durationMs: 1234,
    tracePath: `out/${name}-seed${seed}/trace.jsonl`,
    reproduce: `bin/dslab test rpc sub --scenario ${name} --seed ${seed}`,
    checks,
    interrupted: false,
    faults: 0,
    schedule: [],
    operations: 10,
    ...extra,
  };
}

function plannedFor(name: string): PlannedScenario {
  const found = planGrade(LAB, { scenarios: [], seed: 7, timeScale: 1 }).find(
    (p) => p.scenario.name === name,
  );
  if (!found) throw new Error(name);
  return found;
}

describe("pass rules", () => {
  it("plans seeds from the first seed, the lab's repeat rule, or the one given", () => {
    const plan = planGrade(LAB, { scenarios: [], seed: 7, timeScale: 1 });
    expect(plan.map((p) => p.seeds)).toEqual([[7], [7], [7], [7, 8, 9, 10]]);
    expect(plan.map((p) => p.number)).toEqual([1, 2, 3, 4]);
    expect(plan[3]?.rule).toMatchObject({ runs: 4, needed: 3 });
    const forced = planGrade(LAB, {
      scenarios: ["open-one"],
      seed: 1,
      timeScale: 1,
      repeat: { runs: 3 },
    });
    expect(forced[0]?.seeds).toEqual([1, 2, 3]);
    expect(forced[0]?.rule).toMatchObject({ runs: 3, needed: 3 });
  });

  it("rounds a pass rate up: 80% of 20 is 16, 90% of 3 is 3", () => {
    expect(passRule({ runs: 20, rule: "pass-rate", minPassRate: 0.8 }).needed).toBe(16);
    expect(passRule({ runs: 3, rule: "pass-rate", minPassRate: 0.9 }).needed).toBe(3);
    expect(passRule({ runs: 3, rule: "pass-rate", minPassRate: 0.01 }).needed).toBe(1);
  });

  it("passes only when enough runs passed; a missing run is never a pass", () => {
    const planned = plannedFor("repeated");
    const passes = [7, 8, 9].map((seed) => run("repeated", seed, "pass"));
    const ok = gradeScenario(planned, [...passes, run("repeated", 10, "fail")], "unused");
    expect(ok).toMatchObject({ status: "passed", score: 5, finished: 4, passes: 3 });
    const twoFailed = gradeScenario(
      planned,
      [passes[0] as ScenarioResult, run("repeated", 8, "fail"), run("repeated", 9, "unknown")],
      "unused",
    );
    expect(twoFailed).toMatchObject({ status: "failed", score: 0, passes: 1 });
    expect(twoFailed.reason).toContain("at least 3 of 4 runs must pass");
    const undecided = gradeScenario(planned, passes.slice(0, 2), "not run: out of time");
    expect(undecided).toMatchObject({ status: "not-run", score: 0 });
    expect(undecided.reason).toBe("not run: out of time (2 of 4 runs had finished)");
    const cut = gradeScenario(
      plannedFor("open-one"),
      [run("open-one", 7, "pass", { interrupted: true })],
      "budget",
    );
    expect(cut).toMatchObject({ status: "not-run", score: 0, reason: "did not finish: budget" });
  });

  it("says a harness error is dslab's, not the submission's", () => {
    const grade = gradeScenario(
      plannedFor("open-one"),
      [run("open-one", 7, "error", { harnessError: "toxiproxy would not start" })],
      "unused",
    );
    expect(grade.status).toBe("failed");
    expect(grade.reason).toContain("not the submission's fault");
  });
});

describe("the time budget", () => {
  it("estimates from the workload or nemesis duration and time scale, or the probe's own", () => {
    const [open, secret, later] = LAB.scenarios as [
      ScenarioDefinition,
      ScenarioDefinition,
      ScenarioDefinition,
    ];
    expect(estimateRunMs(LAB, open, 0.5)).toBe(3000 + 1500);
    expect(estimateRunMs(LAB, secret, 0.5)).toBe(3000);
    expect(estimateRunMs(LAB, later, 1)).toBe(8000 + 1500);
  });

  it("admits a scenario whole or skips it with the reason, and later ones still get a chance", () => {
    const plan = planGrade(LAB, { scenarios: [], seed: 1, timeScale: 1 });
    let elapsed = 0;
    const gate = budgetGate(plan, 30_000, () => elapsed);
    expect(gate.shouldStart({ scenario: { name: "open-one" }, seed: 1 })).toBe(true);
    elapsed = 12_000; // 30 - 10 reserve - 12 = 8 s left
    expect(gate.shouldStart({ scenario: { name: "later-one" }, seed: 1 })).toBe(false);
    expect(gate.skipped.get("later-one")).toMatch(/budget of 30 s had 8 s left.*about 10 s/);
    expect(gate.shouldStart({ scenario: { name: "secret-one" }, seed: 1 })).toBe(true);
    // Four runs of 7.5 s do not fit; once admitted, a scenario's later runs always start.
    expect(gate.shouldStart({ scenario: { name: "repeated" }, seed: 1 })).toBe(false);
    elapsed = 29_000;
    expect(gate.shouldStart({ scenario: { name: "open-one" }, seed: 2 })).toBe(true);
    expect(
      budgetGate(plan, undefined, () => 1e9).shouldStart({
        scenario: { name: "repeated" },
        seed: 1,
      }),
    ).toBe(true);
  });
});

function reportWith(grades: ReturnType<typeof gradeScenario>[]): GradeReport {
  return {
    lab: "rpc",
    submission: "sub",
    harnessVersion: "0.1.0",
    seed: 7,
    seedSource: "--seed",
    fingerprints: { submission: "a".repeat(64), lab: "b".repeat(64) },
    timeScale: 1,
    runtime: "process",
    startedAt: "2026-11-26T10:00:00.000Z",
    executionMs: 65_400,
    status: "completed",
    scenarios: grades,
    score: grades.reduce((s, g) => s + g.score, 0),
    maxScore: grades.reduce((s, g) => s + g.maxScore, 0),
  };
}

const shown = (view: View) => ReportView.of(report, view, Redactor.none());
const report = reportWith([
  gradeScenario(plannedFor("open-one"), [run("open-one", 7, "fail")], "unused"),
  gradeScenario(plannedFor("secret-one"), [run("secret-one", 7, "fail")], "unused"),
  gradeScenario(plannedFor("later-one"), [], "not run: the time budget ran out"),
  gradeScenario(
    plannedFor("repeated"),
    [7, 8, 9, 10].map((s) => run("repeated", s, "pass")),
    "unused",
  ),
]);

describe("results.json", () => {
  it("validates against docs/results.schema.json with one test per scenario", async () => {
    const schema = JSON.parse(await readFile("docs/results.schema.json", "utf8"));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const results = gradescopeResults(report, Redactor.none());
    expect(validate(results), JSON.stringify(validate.errors)).toBe(true);
    expect(
      results.tests.map((t) => [t.number, t.status, t.score, t.max_score, t.visibility]),
    ).toEqual([
      ["1", "failed", 0, 10, "visible"],
      ["2", "failed", 0, 5, "hidden"],
      ["3", "failed", 0, 5, "after_due_date"],
      ["4", "passed", 5, 5, "visible"],
    ]);
    expect(results.score).toBe(5);
    expect(results.execution_time).toBe(65);
    expect(results.tests[2]?.output).toContain("not run: the time budget ran out");
    expect(validate({ ...results, tests: [{ ...results.tests[0], status: "skipped" }] })).toBe(
      false,
    );
  });

  it("keeps hidden names and output out of what students always see", () => {
    const results = gradescopeResults(report, Redactor.none());
    for (const text of [
      results.output,
      summaryMarkdown(shown("student")),
      junitXml(shown("student")),
    ]) {
      expect(text).not.toMatch(/secret-one|later-one/);
      expect(text).toContain("2 more scenarios are graded but not shown here");
    }
    expect(results.output).toContain("5/15 points on the scenarios shown");
    const staff = summaryMarkdown(shown("staff"));
    expect(staff).toContain("secret-one");
    expect(staff).toContain("later-one");
  });
});

describe("JUnit", () => {
  it("is well-formed XML even around a submission's garbage, failures as <failure>", () => {
    const root = parseXml(junitXml(shown("staff")));
    expect(root.name).toBe("testsuites");
    const cases = findAll(root, "testcase");
    expect(cases.map((c) => c.attributes.name)).toEqual([
      "open-one",
      "secret-one",
      "later-one",
      "repeated",
    ]);
    expect(cases.map((c) => findAll(c, "failure").length)).toEqual([1, 1, 1, 0]);
    expect(findAll(cases[2] as never, "failure")[0]?.attributes.type).toBe("not-run");
    expect(findAll(root, "testsuite")[0]?.attributes.failures).toBe("3");
    expect(findAll(cases[0] as never, "failure")[0]?.text).toContain('<tag> & "quotes"');
  });

  it("the tiny parser rejects what is not well-formed", () => {
    for (const bad of [
      "<a><b></a></b>",
      "<a x=1/>",
      "<a>&nope;</a>",
      "<a>\u0001</a>",
      "<a/><b/>",
      "<a>",
    ]) {
      expect(() => parseXml(bad), bad).toThrow();
    }
  });
});

describe("Markdown", () => {
  it("fences submission text so it cannot close the block", () => {
    const block = codeBlock("before ```` after");
    expect(block.startsWith("`````text\n")).toBe(true);
    expect(block.endsWith("\n`````")).toBe(true);
  });
});

describe("the class CSV", () => {
  it("quotes commas, quotes and newlines and defuses formulas", () => {
    const csv = classCsv(
      ["a", "b"],
      [
        {
          submission: "=HYPERLINK(1)",
          status: "graded",
          score: 5,
          maxScore: 10,
          scores: { a: 5 },
          seconds: 1.5,
          failures: ['b: said "no", twice\nreally'],
        },
      ],
    );
    expect(csv).toBe(
      `submission,status,score,max_score,a,b,seconds,failures\n'=HYPERLINK(1),graded,5,10,5,,1.5,"b: said ""no"", twice\nreally"\n`,
    );
  });
});

describe("shards", () => {
  it("are disjoint, cover every name and do not depend on the listing order", () => {
    const names = ["zed", "Alice", "bob", "carol", "dave", "eve", "frank"];
    for (const count of [1, 2, 3, 7, 9]) {
      const shards = Array.from({ length: count }, (_, i) =>
        namesInShard(names, { index: i + 1, count }),
      );
      const all = shards.flat();
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort()).toEqual([...names].sort());
      const reversed = namesInShard([...names].reverse(), { index: 1, count });
      expect(reversed).toEqual(shards[0]);
    }
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    for (const bad of ["0/3", "4/3", "1/0", "x", "1-3"])
      expect(() => parseShard(bad)).toThrow(/i\/n/);
  });
});
