/**
 * The ready-made integrations, run here as far as this machine allows: Gradescope's setup.sh
 * and run_autograder in a fake /autograder, and the GitHub Actions workflow's grading steps
 * (their shell, as written in the YAML) in a fake workspace.
 */
import { cp, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { readValidResults } from "./support/results-file.ts";
import { useTempDirs } from "./support/temp-dirs.ts";
import { parseXml } from "./support/tiny-xml.ts";

const REPO = resolve(".");
const tempDir = useTempDirs();

/** A fake /autograder: dslab and the scripts in source/, the student's files in submission/. */
async function autograderRoot(course?: unknown): Promise<string> {
  const root = await tempDir("dslab-gradescope-");
  await mkdir(join(root, "source"), { recursive: true });
  await symlink(REPO, join(root, "source", "dslab"));
  for (const script of ["setup.sh", "run_autograder"]) {
    await cp(join(REPO, "integrations/gradescope", script), join(root, "source", script));
  }
  if (course) await writeFile(join(root, "source", "course.json"), JSON.stringify(course));
  // Uploaded as a folder, as students do: run_autograder finds the dslab.json.
  await cp(join(REPO, "fixtures/rpc/python-reference"), join(root, "submission", "my-lab"), {
    recursive: true,
  });
  return root;
}

describe("Gradescope's setup.sh and run_autograder", () => {
  it("set up, then grade a submission into /autograder/results/results.json", async () => {
    const root = await autograderRoot({
      lab: "rpc",
      overrides: { "two-connections": { visibility: "hidden" } },
    });
    const setup = await execa("bash", [join(root, "source", "setup.sh")], {
      env: { AUTOGRADER_ROOT: root },
      reject: false,
      timeout: 300_000,
    });
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect((await stat(join(root, "source", "run_autograder"))).mode & 0o111).not.toBe(0);
    const run = await execa(join(root, "source", "run_autograder"), [], {
      env: {
        AUTOGRADER_ROOT: root,
        DSLAB_ARGS: "--scenario semantics two-connections --seed 4",
      },
      reject: false,
      timeout: 170_000,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const results = await readValidResults(join(root, "results", "results.json"));
    expect(results.tests.map((t) => [t.name.split(":")[0], t.status, t.visibility])).toEqual([
      ["semantics", "passed", "visible"],
      ["two-connections", "passed", "hidden"],
    ]);
    expect(results.score).toBe(15);
    expect(results.output).not.toContain("two-connections");
    // The staff log names everything; Gradescope hides it from students.
    expect(results.stdout_visibility).toBe("hidden");
    expect(run.stdout).toContain("two-connections");
  });

  it("still leaves valid results saying whose fault it is when dslab cannot start grading", async () => {
    const root = await autograderRoot();
    const run = await execa(join(root, "source", "run_autograder"), [], {
      env: { AUTOGRADER_ROOT: root, DSLAB_LAB: "no-such-lab" },
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(0);
    const results = await readValidResults(join(root, "results", "results.json"));
    expect(results.score).toBe(0);
    expect(results.output).toContain("dslab exit code 2");
    expect(results.output).toContain("not your submission's fault");
  });
});

/** The shell of a step's `run: |` block, as GitHub would run it. */
function stepScript(workflow: string, stepName: string): string {
  const lines = workflow.split("\n");
  const start = lines.findIndex((line) => line.trim() === `- name: ${stepName}`);
  const runAt = lines.findIndex((line, i) => i > start && line.trim() === "run: |");
  if (start < 0 || runAt < 0) throw new Error(`no step "${stepName}" with a run block`);
  const indent = (line: string) => line.length - line.trimStart().length;
  const keyIndent = indent(lines[runAt] as string);
  const body: string[] = [];
  for (const line of lines.slice(runAt + 1)) {
    if (line.trim() !== "" && indent(line) <= keyIndent) break;
    body.push(line.slice(keyIndent + 2));
  }
  return body.join("\n");
}

describe("the GitHub Actions workflow", () => {
  const workflowPath = "integrations/github-actions/dslab.yml";

  it("uses only options the commands have", async () => {
    const workflow = await readFile(workflowPath, "utf8");
    for (const [step, command] of [
      ["Grade", "grade"],
      ["Grade this shard", "grade-all"],
    ] as const) {
      const help = await execa(process.execPath, ["src/cli/main.ts", command, "--help"]);
      const options = stepScript(workflow, step).match(/--[a-z-]+/g) ?? [];
      expect(options.length).toBeGreaterThan(0);
      for (const option of options) expect(help.stdout, `${step}: ${option}`).toContain(option);
    }
  });

  it("its grading steps run: the student job writes JUnit, results and the step summary", async () => {
    const workflow = await readFile(workflowPath, "utf8");
    const workspace = await tempDir("dslab-actions-");
    await symlink(REPO, join(workspace, "dslab"));
    // A submission that does not compile: the whole flow, in seconds.
    await cp(join(REPO, "fixtures/rpc/broken-build-fails"), join(workspace, "submission"), {
      recursive: true,
    });
    const summary = join(workspace, "step-summary.md");
    const grade = await execa("bash", ["-euo", "pipefail", "-c", stepScript(workflow, "Grade")], {
      cwd: workspace,
      env: { DSLAB_LAB: "rpc", GITHUB_STEP_SUMMARY: summary },
      reject: false,
      timeout: 170_000,
    });
    expect(grade.exitCode, grade.stdout + grade.stderr).toBe(1);
    const results = await readValidResults(join(workspace, "results.json"));
    expect(results.output).toContain("build failed");
    parseXml(await readFile(join(workspace, "junit.xml"), "utf8"));
    expect(await readFile(summary, "utf8")).toContain("build failed");

    const classDir = join(workspace, "course", "class");
    await mkdir(classDir, { recursive: true });
    for (const name of ["ann", "bob", "cy"]) {
      await symlink(join(REPO, "fixtures/rpc/broken-build-fails"), join(classDir, name));
    }
    const shard = await execa(
      "bash",
      ["-euo", "pipefail", "-c", stepScript(workflow, "Grade this shard")],
      {
        cwd: workspace,
        env: { DSLAB_LAB: "rpc", SHARD: "1", SHARDS: "2", SUBMISSIONS: "class" },
        reject: false,
        timeout: 170_000,
      },
    );
    expect(shard.exitCode, shard.stdout + shard.stderr).toBe(0);
    const csv = await readFile(join(workspace, "class-1", "class.csv"), "utf8");
    expect(
      csv
        .split("\n")
        .slice(1, -1)
        .map((row) => row.split(",").slice(0, 2)),
    ).toEqual([
      ["ann", "build-failed"],
      ["cy", "build-failed"],
    ]);
  });
});
