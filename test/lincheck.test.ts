/**
 * The linearizability search on real Jepsen histories (fixtures/linearizability, Porcupine's
 * test data): every history gets the verdict Porcupine's tests assert, evidence is a set of
 * results that really admits no order, bounds give "unknown" and never a pass, and `dslab
 * lincheck` says all that with its exit codes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { checkHistory } from "../src/check/linearizability/check-history.ts";
import type { LinearizabilityModel, Operation } from "../src/check/linearizability/model.ts";
import { searchPart } from "../src/check/linearizability/search.ts";
import { etcdModel, parseEtcdHistory } from "../src/lincheck/jepsen-etcd.ts";
import { kvModel, parseKvHistory } from "../src/lincheck/jepsen-kv.ts";

const DATA = resolve("fixtures/linearizability");
const expected = new Map(
  readFileSync(join(DATA, "expected.tsv"), "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split("\t") as [string, string]),
);
const etcdFiles = readdirSync(join(DATA, "jepsen-etcd")).sort();
const kvFiles = readdirSync(join(DATA, "kv")).sort();
const etcd = (file: string) =>
  parseEtcdHistory(file, readFileSync(join(DATA, "jepsen-etcd", file), "utf8"));
const kv = (file: string) => parseKvHistory(file, readFileSync(join(DATA, "kv", file), "utf8"));

/** Whether `kept`'s results admit no order when every other operation's result is ignored. */
function contradictory<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  kept: Set<number>,
): boolean {
  const relaxed = ops.map((op, i) => (kept.has(i) ? op : { ...op, output: undefined }));
  const parts = model.partition?.(relaxed) ?? [relaxed.map((_, i) => i)];
  return parts.some(
    (part) =>
      searchPart(
        model,
        part.map((i) => relaxed[i] as Operation<I, O>),
        { maxSteps: 10_000_000, deadline: Number.POSITIVE_INFINITY, memoBytes: 2 ** 27 },
      ).kind === "violation",
  );
}

describe("linearizability search on Jepsen histories", () => {
  it("gives all 70 etcd histories Porcupine's verdicts", () => {
    expect(etcdFiles).toHaveLength(70);
    const wrong = etcdFiles.filter(
      (file) =>
        checkHistory(etcdModel, etcd(file), { smallest: false }).verdict !==
        expected.get(file.replace(/\.log$/, "")),
    );
    expect(wrong).toEqual([]);
    // Both verdicts occur: the test could fail either way.
    expect(new Set(etcdFiles.map((f) => expected.get(f.replace(/\.log$/, ""))))).toEqual(
      new Set(["linearizable", "not-linearizable"]),
    );
  });

  it.each(kvFiles)("gives kv/%s Porcupine's verdict", (file) => {
    expect(checkHistory(kvModel, kv(file), { smallest: false }).verdict).toBe(
      expected.get(file.replace(/\.txt$/, "")),
    );
  });

  it.each(["c01-bad.txt", "c10-bad.txt", "c50-bad.txt"])(
    "names, for kv/%s, a set of results that admits no order on its own",
    (file) => {
      const ops = kv(file);
      const result = checkHistory(kvModel, ops);
      const part = result.parts.find((p) => p.verdict.kind === "violation");
      if (part?.verdict.kind !== "violation") throw new Error("no violation found");
      const smallest = part.verdict.smallest ?? [];
      expect(smallest.length).toBeGreaterThan(0);
      expect(smallest.length).toBeLessThanOrEqual(Math.max(6, part.operations.length / 10));
      expect(contradictory(kvModel, ops, new Set(smallest))).toBe(true);
    },
  );

  it("finds the same kind of evidence on etcd histories", () => {
    for (const file of etcdFiles.slice(0, 10)) {
      const ops = etcd(file);
      const part = checkHistory(etcdModel, ops).parts[0];
      if (part?.verdict.kind !== "violation") continue;
      expect(contradictory(etcdModel, ops, new Set(part.verdict.smallest))).toBe(true);
    }
  });

  it("says unknown, never linearizable, when a step or time bound is hit", () => {
    const ops = kv("c50-ok.txt");
    const bySteps = checkHistory(kvModel, ops, { maxStepsPerPart: 100 });
    expect(bySteps.verdict).toBe("unknown");
    expect(bySteps.parts.every((p) => p.verdict.kind === "unknown")).toBe(true);
    const byTime = checkHistory(kvModel, ops, { timeoutMs: 0 });
    expect(byTime.verdict).toBe("unknown");
    expect(
      byTime.parts.some((p) => p.verdict.kind === "unknown" && p.verdict.bound === "time"),
    ).toBe(true);
  });

  it("stays right with a memo too small to remember much (it only repeats work)", () => {
    for (const file of ["c10-ok.txt", "c10-bad.txt"]) {
      expect(checkHistory(kvModel, kv(file), { memoBytes: 1 }).verdict).toBe(
        expected.get(file.replace(/\.txt$/, "")),
      );
    }
  });
});

describe("dslab lincheck", () => {
  const lincheck = (args: string[]) =>
    execa("bin/dslab", ["lincheck", ...args], { reject: false, timeout: 60_000 });

  it("exits 0 on a linearizable history and 1 on one that is not, naming the evidence", async () => {
    const ok = await lincheck([join(DATA, "kv/c10-ok.txt"), "--model", "kv"]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain("LINEARIZABLE");
    const bad = await lincheck([join(DATA, "jepsen-etcd/etcd_000.log"), "--model", "etcd"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/NOT LINEARIZABLE[\s\S]*no order explains these \d+ results/);
    expect(bad.stdout).toMatch(/line \d+-\d+: (read|write|cas)/);
  });

  it("exits 3 when a bound is hit and 2 on a file of another format, saying why", async () => {
    const unknown = await lincheck([
      join(DATA, "kv/c50-ok.txt"),
      "--model",
      "kv",
      "--max-steps",
      "50",
    ]);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stdout).toContain("--max-steps bound was hit");
    const wrong = await lincheck([join(DATA, "kv/c01-ok.txt"), "--model", "etcd"]);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain("not a Jepsen etcd log (is --model etcd right?)");
    const missing = await lincheck(["/nonexistent/history.log", "--model", "etcd"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("cannot read /nonexistent/history.log");
  });
});
