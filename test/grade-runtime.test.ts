/**
 * `dslab grade` and `grade-all` run nodes where they are told: `--runtime`, else the course
 * file's "runtime", else local processes; results.json and the summary say which, a bad value
 * in the course file is refused before anything runs, and the Docker runs leave nothing of ours
 * in the engine. Needs dockerd and the images (bin/dslab images), as test/docker-runtime does.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { gradingRuntime } from "../src/grade/runtime-choice.ts";
import { RUNTIME_IMAGE, TOXIPROXY_IMAGE } from "../src/host/docker-engine.ts";
import { readValidResults } from "./support/results-file.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const DSLAB = resolve("bin/dslab");
/** One short scenario, in containers. */
const DOCKER_CLEAN = [
  "--runtime",
  "docker",
  "--scenario",
  "clean",
  "--seed",
  "1",
  "--time-scale",
  "0.5",
];
const CHILD_TIMEOUT_MS = 240_000;

beforeAll(async () => {
  try {
    execFileSync("docker", ["image", "inspect", TOXIPROXY_IMAGE, RUNTIME_IMAGE], {
      stdio: "ignore",
      timeout: 20_000,
    });
  } catch {
    throw new Error("Docker or its images are missing: run scripts/setup.sh --with-docker");
  }
});

const makeTempDir = useTempDirs();
const tempDir = () => makeTempDir("dslab-grade-runtime-");

async function courseFile(dir: string, content: object): Promise<string> {
  const path = join(dir, "course.json");
  await writeFile(path, JSON.stringify({ lab: "rpc", ...content }));
  return path;
}

function dslab(args: string[]) {
  return execa(DSLAB, args, { reject: false, timeout: CHILD_TIMEOUT_MS, env: { CI: "true" } });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * dslab's containers and networks (label dslab.run) whose harness (label dslab.pid) is gone.
 * Once a grade is over its harnesses are all gone, so what it left is in here; runs of other
 * harnesses sharing the engine are alive and are not.
 */
function orphans(): string[] {
  const format = ["--filter", "label=dslab.run", "--format", '{{.ID}} {{.Label "dslab.pid"}}'];
  return [
    ["ps", "-a", ...format],
    ["network", "ls", ...format],
  ]
    .flatMap((args) =>
      execFileSync("docker", args, { encoding: "utf8", timeout: 20_000 }).split("\n"),
    )
    .map((line) => line.trim().split(" "))
    .filter(([id, pid]) => id && Number(pid) > 0 && !isAlive(Number(pid)))
    .map(([id]) => id as string);
}

/** Runs the grade, then checks it left no Docker objects behind (older orphans aside). */
async function leavingNothing<T>(grade: () => Promise<T>): Promise<T> {
  const before = new Set(orphans());
  const result = await grade();
  expect(orphans().filter((id) => !before.has(id))).toEqual([]);
  return result;
}

describe("dslab grade --runtime docker", () => {
  it("grades the reference in containers, says so, and leaves nothing behind", async () => {
    const out = join(await tempDir(), "out");
    const run = await leavingNothing(() =>
      dslab(["grade", "rpc", "fixtures/rpc/cpp-reference", "--out", out, ...DOCKER_CLEAN]),
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("runtime docker");
    const results = await readValidResults(join(out, "results.json"));
    expect(results.score).toBe(10);
    expect(results.tests.map((test) => test.status)).toEqual(["passed"]);
    expect(results.extra_data.runtime).toBe("docker");
    expect(results.output).toContain("runtime docker");
    expect(await readFile(join(out, "summary.md"), "utf8")).toContain("runtime docker");
    // The reproduce command replays it the same way.
    expect(await readFile(join(out, "grade.json"), "utf8")).toContain("--runtime docker");
  });
});

describe("the course file's runtime", () => {
  it("is used unless --runtime is given, and process is the default", async () => {
    const dir = await tempDir();
    const docker = await courseFile(dir, { runtime: "docker" });
    expect(await gradingRuntime(undefined, docker)).toBe("docker");
    expect(await gradingRuntime("process", docker)).toBe("process");
    expect(await gradingRuntime(undefined, await courseFile(await tempDir(), {}))).toBe("process");
    expect(await gradingRuntime(undefined, undefined)).toBe("process");
  });

  it("reaches the results through the command, the flag winning", async () => {
    // A submission without dslab.json is graded at once (0 points) and runs nothing.
    const dir = await tempDir();
    const submission = join(dir, "no-manifest");
    await mkdir(submission);
    const course = await courseFile(dir, { runtime: "docker" });
    for (const [flag, expected] of [
      [[], "docker"],
      [["--runtime", "process"], "process"],
    ] as const) {
      const out = join(dir, `out-${expected}`);
      const run = await dslab([
        "grade",
        "rpc",
        submission,
        "--course",
        course,
        "--out",
        out,
        ...flag,
      ]);
      expect(run.exitCode, run.stdout + run.stderr).toBe(1);
      const results = await readValidResults(join(out, "results.json"));
      expect(results.extra_data.runtime).toBe(expected);
      expect(results.output).toContain(`runtime ${expected}`);
    }
  });

  it("is refused when it is not a runtime: usage error naming the value, nothing graded", async () => {
    const dir = await tempDir();
    const course = await courseFile(dir, { runtime: "dockr" });
    const out = join(dir, "out");
    for (const args of [
      ["grade", "rpc", "fixtures/rpc/cpp-reference", "--out", out],
      ["grade-all", "rpc", "fixtures/rpc", "--out", out],
    ]) {
      const run = await dslab([...args, "--course", course]);
      expect(run.exitCode, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toContain(course);
      expect(run.stderr).toContain('/runtime must be one of: process, docker (not "dockr")');
    }
    await expect(stat(out)).rejects.toThrow();
  });
});

describe("dslab grade-all --runtime docker", () => {
  it("hands the runtime to every grader, over the course file's", async () => {
    const dir = await tempDir();
    const folder = join(dir, "class");
    await mkdir(folder);
    await symlink(resolve("fixtures/rpc/cpp-reference"), join(folder, "ann"));
    await symlink(resolve("fixtures/rpc/python-reference"), join(folder, "bob"));
    // The graders also get --course: only a --runtime of their own can make them use docker.
    const course = await courseFile(dir, { runtime: "process" });
    const out = join(dir, "out");
    const run = await leavingNothing(() =>
      dslab(["grade-all", "rpc", folder, "--course", course, "--out", out, ...DOCKER_CLEAN]),
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    for (const name of ["ann", "bob"]) {
      const results = await readValidResults(join(out, name, "results.json"));
      expect(results.extra_data.runtime, name).toBe("docker");
      expect(results.score, name).toBe(10);
    }
  });
});
