/**
 * The example lab "counter" (labs/counter/, docs/how-to-write-a-lab.md) is the proof that a lab
 * is a plugin: one folder and one line in the registry, and the whole harness runs it. Its
 * reference passes; its racy fixture loses concurrent additions and fails linearizability on
 * the smallest set of calls that shows it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callDescriber } from "../src/lab/call-describer.ts";
import { LAB_NAMES } from "../src/lab/registry.ts";
import { readTrace } from "../src/trace/reader.ts";
import { explain, fixtureRunner, TIME_SCALE, verdictOf } from "./support/e2e.ts";

const run = fixtureRunner("counter");

/** Every .ts file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("the counter lab is one folder and one registry line", () => {
  it("no core module but the registry names it", () => {
    const naming = sources("src").filter((file) =>
      /labs\/counter\/|"counter"/.test(readFileSync(file, "utf8")),
    );
    expect(naming).toEqual(["src/lab/registry.ts"]);
    expect(LAB_NAMES).toContain("counter");
  });

  it("inspect and the HTML view read its calls in its program's words", () => {
    const describer = callDescriber("counter");
    expect(describer.call({ proc: "ADD", delta: 3 })).toBe("ADD 3");
    expect(describer.call({ proc: "ADD", delta: "3" })).toBe('ADD delta="3"');
    expect(
      describer.outcome({ kind: "success", result: { proc: "READ", value: 7 }, verifierFlavor: 0 }),
    ).toContain("value 7");
  });
});

describe("the counter lab end to end", () => {
  it.each([1, 2])("the reference passes on seed %i", async (seed) => {
    const summary = await run("python-reference", [], seed);
    expect(explain(summary.results)).toBe("");
    expect(summary.results.map((r) => r.scenario)).toEqual(["slow-links"]);
    expect(summary.score).toBe(summary.maxScore);
    expect(verdictOf(summary.results[0], "linearizable")).toBe("pass");
  });

  it("the racy fixture fails linearizable on calls that show a lost addition", async () => {
    const summary = await run("bug-racy-add", [], 1);
    const result = summary.results[0];
    expect(result?.verdict, explain(summary.results)).toBe("fail");
    expect(verdictOf(result, "evidence")).toBe("pass");
    expect(verdictOf(result, "fault-integrity")).toBe("pass");
    const failed = result?.checks.find((check) => check.property === "linearizable");
    expect(failed?.verdict).toBe("fail");
    const [evidence] = failed?.evidence ?? [];
    // The smallest contradiction is a handful of calls: two ADDs that each saw the old value,
    // or one call alone (a READ below the sum of the ADDs that completed before it), each
    // reply on record.
    expect(evidence?.ops?.length).toBeGreaterThanOrEqual(1);
    expect(evidence?.ops?.length).toBeLessThanOrEqual(6);
    const trace = await readTrace(result?.tracePath ?? "");
    for (const index of evidence?.events ?? []) {
      expect(["op.invoke", "rpc.reply"]).toContain(trace.events[index]?.type);
    }
    expect(failed?.summary).toMatch(/(ADD \d|READ) -> value \d+/);
    expect(result?.reproduce).toBe(
      `bin/dslab test counter fixtures/counter/bug-racy-add --scenario slow-links --seed 1 --time-scale ${TIME_SCALE}`,
    );
  });
});
