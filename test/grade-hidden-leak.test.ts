/**
 * Issue 12, finding 4: hidden tests must not leak into what students see. A node that reads the
 * harness's command line and prints the course file (fixtures/hostile/read-course) fails, and
 * dslab quotes its last output in the failure reason; whatever it printed, no field students
 * see holds the course's hidden strings, its path or its lines, nor (grade-all) another
 * submission's path or files, while staff still see everything. Also the redactor on its own.
 */
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { MAX_SHOWN_CHARS, REDACTED, Redactor } from "../src/grade/redact.ts";
import type { GradeReport } from "../src/grade/report.ts";
import { gradingRedactor } from "../src/grade/secrets.ts";
import { readValidResults } from "./support/results-file.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const MAIN = resolve("src/cli/main.ts");
const FIXTURE = "fixtures/hostile/read-course";
const COURSE = `${FIXTURE}/course.json`;
const tempDir = useTempDirs();

/** The course file's strings about scenarios students are not shown, and its path. */
const COURSE_SECRETS =
  /top secret|vault|confidential crash drill|classified until|undisclosed-part|read-course\/course\.json/i;

function dslab(args: string[]) {
  return execa(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], {
    reject: false,
    timeout: 60_000,
  });
}

describe("a node that prints the course file", () => {
  it("gets none of it into a field students see; staff see it all", async () => {
    const out = join(await tempDir("dslab-leak-"), "out");
    const run = await dslab([
      "grade",
      "rpc",
      FIXTURE,
      "--course",
      COURSE,
      "--scenario",
      "clean",
      "crash-restart",
      "vault-probe",
      "--seed",
      "1",
      "--time-scale",
      "0.25",
      "--out",
      out,
    ]);
    expect(run.exitCode, run.stderr).toBe(1);
    const results = await readValidResults(join(out, "results.json"));
    const visible = results.tests.filter((test) => test.visibility === "visible");
    expect(visible.map((test) => test.name)).toEqual(["clean: Clean network"]);
    const junit = await readFile(join(out, "junit.xml"), "utf8");
    const summary = await readFile(join(out, "summary.md"), "utf8");
    const studentSees = {
      output: results.output,
      tests: visible.map((test) => `${test.name} ${test.status} ${test.output}`).join("\n"),
      junit,
      summary,
      stdout: run.stdout,
      stderr: run.stderr,
    };
    for (const [where, text] of Object.entries(studentSees)) {
      expect(text, where).not.toMatch(COURSE_SECRETS);
    }
    // The node's output was quoted (its lines in the course file's place), under the bound.
    expect(summary).toContain("last output:");
    expect(summary).toContain(REDACTED);
    expect(junit).toContain(REDACTED);
    for (const test of visible) expect(test.output.length).toBeLessThan(4 * MAX_SHOWN_CHARS);

    // A scenario not shown yet keeps its own name (for staff; students once it is shown),
    // never another's secrets.
    const byName = new Map(results.tests.map((test) => [test.name.split(":")[0], test]));
    expect(byName.get("vault-probe")?.name).toBe("vault-probe: Vault probe");
    expect(byName.get("vault-probe")?.output).toContain("TOP SECRET hidden test");
    expect(byName.get("crash-restart")?.name).toBe("crash-restart: Confidential crash drill");
    expect(byName.get("crash-restart")?.output).not.toMatch(/top secret|vault/i);

    // Staff: grade.json has the hidden scenarios and the node's output as it was.
    const staff = JSON.parse(await readFile(join(out, "grade.json"), "utf8")) as GradeReport;
    expect(staff.scenarios.map((grade) => grade.name)).toContain("vault-probe");
    const clean = staff.scenarios.find((grade) => grade.name === "clean");
    expect(clean?.reason).toMatch(/last output:\n[\s\S]*TOP SECRET hidden test/);
  }, 60_000);
});

describe("grade-all", () => {
  it("never shows one student another's submission", async () => {
    const dir = await tempDir("dslab-leak-class-");
    const folder = join(dir, "class");
    await mkdir(folder);
    await cp(FIXTURE, join(folder, "alice"), { recursive: true });
    await cp("fixtures/rpc/broken-exits-at-start", join(folder, "bob"), { recursive: true });
    await writeFile(
      join(folder, "bob", "notes.txt"),
      "Bob's private design note: a replay cache keyed by xid and client\n",
    );
    const run = await dslab([
      "grade-all",
      "rpc",
      folder,
      "--scenario",
      "clean",
      "--seed",
      "1",
      "--time-scale",
      "0.25",
      "--out",
      join(dir, "out"),
    ]);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const results = await readValidResults(join(dir, "out", "alice", "results.json"));
    const studentSees = [results.output, ...results.tests.map((test) => test.output)].join("\n");
    expect(studentSees).not.toMatch(/private design note|class\/bob/i);
    expect(studentSees).toContain(REDACTED);
    // Staff's own record of alice's run keeps what her node printed.
    expect(await readFile(join(dir, "out", "alice", "grade.json"), "utf8")).toContain(
      "private design note",
    );
  }, 60_000);
});

/** A lab scenario hidden: its name and the lab's words are public, the course's title not. */
const HIDDEN_MEMORY_COURSE = {
  lab: "rpc",
  overrides: {
    memory: { visibility: "hidden", title: "Unannounced memory audit", tags: ["durability"] },
    clean: { tags: ["part-b"] },
  },
};

describe("the redactor", () => {
  const secret = 'TOP SECRET: the "vault" test, café edition';
  const redactor = Redactor.of([{ text: secret, owner: "vault" }, { text: "/srv/course.json" }]);

  it("finds a secret in any case, however its white space runs, printed as JSON too", () => {
    for (const printed of [
      secret,
      secret.toUpperCase(),
      secret.replaceAll(" ", "\n   "),
      JSON.stringify(secret),
      // Python's json.dumps escapes what is not ASCII.
      JSON.stringify(secret).replace("é", "\\u00e9"),
    ]) {
      const shown = redactor.shown(`node said: ${printed} (end)`);
      expect(shown, printed).toContain(REDACTED);
      expect(shown, printed).not.toMatch(/secret|vault|caf/i);
      expect(shown.startsWith("node said: ")).toBe(true);
      expect(shown.endsWith(" (end)")).toBe(true);
    }
    expect(redactor.shown("reading /srv/course.json now")).toBe(`reading ${REDACTED} now`);
  });

  it("spares a scenario's own strings in its own results, never the others'", () => {
    const text = `${secret} in /srv/course.json`;
    expect(redactor.sparing("vault").shown(text)).toBe(`${secret} in ${REDACTED}`);
    expect(redactor.sparing("other").shown(text)).toBe(`${REDACTED} in ${REDACTED}`);
  });

  it("cuts a text to its bound, a secret across the cut included", () => {
    const long = `${"x".repeat(MAX_SHOWN_CHARS - 5)}${secret}${"y".repeat(10_000)}`;
    const shown = redactor.shown(long);
    expect(shown.length).toBeLessThan(MAX_SHOWN_CHARS + 50);
    expect(shown).toContain(`(cut at ${MAX_SHOWN_CHARS} characters)`);
    expect(shown).not.toMatch(/top s/i);
    expect(Redactor.none().shown("short")).toBe("short");
  });

  it("hides only what students cannot read anyway", async () => {
    const course = join(await tempDir("dslab-secrets-"), "course.json");
    await writeFile(course, JSON.stringify(HIDDEN_MEMORY_COURSE));
    const graded = await gradingRedactor({
      lab: "rpc",
      submission: FIXTURE,
      course,
      withheld: [],
    });
    const text = graded.shown(
      `memory hidden part-b durability FAILED; Unannounced Memory Audit; ${course}; ${resolve(course)}`,
    );
    expect(text).toBe(
      `memory hidden part-b durability FAILED; ${REDACTED}; ${REDACTED}; ${REDACTED}`,
    );
  });
});
