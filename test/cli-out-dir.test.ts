/**
 * --out is checked before anything is built: an unusable one is exit 2 with one line (a path
 * under /proc made Node's recursive mkdir spin for ever), and dslab never writes over what it
 * did not make (it deleted DIR/build, and the submission's own build/ with --out = submission).
 */
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { OUT_MARKER, prepareOutDir } from "../src/lab/out-dir.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const REFERENCE = "fixtures/rpc/python-reference";

const dslab = (...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
    reject: false,
    timeout: 20_000,
  });

/** A copy of the reference with a build/ folder of its own, as a student's may have. */
async function submissionWithBuild(): Promise<string> {
  const dir = join(await tempDir("dslab-out-sub-"), "submission");
  await cp(REFERENCE, dir, { recursive: true, dereference: true });
  await mkdir(join(dir, "build"));
  await writeFile(join(dir, "build", "mine.o"), "the student's\n");
  return dir;
}

function expectOneLineUsageError(result: Awaited<ReturnType<typeof dslab>>, message: RegExp) {
  expect(result.timedOut).toBe(false);
  expect(result.exitCode, result.stderr).toBe(2);
  expect(result.stderr.trim()).toMatch(message);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stdout).not.toMatch(/building/);
}

describe("an unusable --out", () => {
  it.each([
    ["under /proc", async () => "/proc/dslab-nope", /cannot be created/],
    [
      "a file",
      async () => {
        const file = join(await tempDir("dslab-out-file-"), "file");
        await writeFile(file, "");
        return file;
      },
      /is a file/,
    ],
    [
      "below a file",
      async () => {
        const file = join(await tempDir("dslab-out-file-"), "file");
        await writeFile(file, "");
        return join(file, "out");
      },
      /is a file/,
    ],
  ])("%s: exits 2 at once", async (_, outDir, message) => {
    const out = await outDir();
    expectOneLineUsageError(await dslab("test", "rpc", REFERENCE, "--out", out), message);
    expectOneLineUsageError(await dslab("grade", "rpc", REFERENCE, "--out", out), message);
  });
});

describe("--out never writes over what dslab did not make", () => {
  it("a directory holding other files is refused, and they survive", async () => {
    const out = await tempDir("dslab-out-foreign-");
    await mkdir(join(out, "build"));
    await writeFile(join(out, "build", "keep.txt"), "keep\n");
    expectOneLineUsageError(
      await dslab("test", "rpc", REFERENCE, "--out", out),
      /already holds files that dslab did not write; choose an empty or new directory/,
    );
    expect(await readFile(join(out, "build", "keep.txt"), "utf8")).toBe("keep\n");
  });

  it("the submission itself, or a folder inside it, is refused and its build/ untouched", async () => {
    const submission = await submissionWithBuild();
    for (const command of ["test", "grade"]) {
      expectOneLineUsageError(
        await dslab(command, "rpc", submission, "--out", submission),
        /is .*submission itself/,
      );
      expectOneLineUsageError(
        await dslab(command, "rpc", submission, "--out", join(submission, "results")),
        /is inside .*submission, which dslab copies into it/,
      );
    }
    expect(await readFile(join(submission, "build", "mine.o"), "utf8")).toBe("the student's\n");
    const folder = join(submission, "..");
    expectOneLineUsageError(
      await dslab("grade-all", "rpc", folder, "--out", folder),
      /is .* itself/,
    );
  });

  it("a new, empty or dslab-made directory is used (also under the submission's dslab-out)", async () => {
    const submission = await submissionWithBuild();
    const fresh = join(submission, "dslab-out", "run");
    expect(await prepareOutDir(fresh, [submission])).toBe(fresh);
    await writeFile(join(fresh, "summary.json"), "{}\n");
    // Marked by the first use: a second run may replace what the first wrote.
    expect(await prepareOutDir(fresh, [submission])).toBe(fresh);
    const empty = await tempDir("dslab-out-empty-");
    await prepareOutDir(empty, [submission]);
    expect(await readFile(join(empty, OUT_MARKER), "utf8")).toMatch(/dslab/);
  });
});
