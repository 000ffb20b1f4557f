/**
 * dslab clean --runs removes only run folders dslab marked as its own, by the age of their
 * newest file, and the `latest` link once its run is gone; anything else in dslab-out, and a
 * run still going, stays.
 */
import { lstat, mkdir, readdir, readlink, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAge } from "../src/cli/parse-number.ts";
import { describePrune, formatSize, pruneRuns } from "../src/lab/prune-runs.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const DAY_MS = 86_400_000;
const NOW = Date.now();

/** A folder under root with its files, all last modified `ageMs` before NOW. */
async function folder(root: string, name: string, files: Record<string, string>, ageMs = 0) {
  const dir = join(root, name);
  await mkdir(join(dir, "run"), { recursive: true });
  const when = new Date(NOW - ageMs);
  for (const [file, text] of Object.entries(files)) {
    await writeFile(join(dir, file), text);
    await utimes(join(dir, file), when, when);
  }
  await utimes(join(dir, "run"), when, when);
  await utimes(dir, when, when);
  return dir;
}

describe("pruneRuns", () => {
  it("removes every marked run folder and leaves an unmarked one alone", async () => {
    const root = await tempDir("dslab-prune-");
    await folder(root, "rpc-new", { ".dslab-out": "", "summary.json": "{}" });
    await folder(root, "rpc-older", { "summary.json": "{}" }); // before the .dslab-out marker
    await folder(root, "notes", { "todo.txt": "mine\n" });
    await writeFile(join(root, "loose.txt"), "mine\n");
    const outcome = await pruneRuns(root, undefined, NOW);
    expect(outcome.removed.map((run) => run.path)).toEqual([
      join(root, "rpc-new"),
      join(root, "rpc-older"),
    ]);
    expect(outcome.removed[0]?.bytes).toBe(2);
    expect(outcome.unmarked).toEqual([join(root, "notes")]);
    expect((await readdir(root)).sort()).toEqual(["loose.txt", "notes"]);
  });

  it("leaves a run still going alone, but not one killed long ago", async () => {
    const root = await tempDir("dslab-prune-running-");
    const running = '{"status":"running"}';
    await folder(root, "going", { ".dslab-out": "", "summary.json": running }, 60_000);
    await folder(root, "killed", { ".dslab-out": "", "summary.json": running }, DAY_MS);
    const outcome = await pruneRuns(root, undefined, NOW);
    expect(outcome.removed.map((run) => run.path)).toEqual([join(root, "killed")]);
    expect(outcome.inProgress).toEqual([join(root, "going")]);
    expect(describePrune(root, undefined, outcome)).toContain(
      `left alone: ${join(root, "going")} (a run still going)`,
    );
  });

  it("with an age, removes only folders whose newest file is older", async () => {
    const root = await tempDir("dslab-prune-age-");
    await folder(root, "old", { ".dslab-out": "" }, 8 * DAY_MS);
    await folder(root, "recent", { ".dslab-out": "" }, 6 * DAY_MS);
    // An old folder with one file rewritten just now (summary.json of a long run) is recent.
    const touched = await folder(root, "touched", { ".dslab-out": "" }, 8 * DAY_MS);
    await writeFile(join(touched, "run", "trace.jsonl"), "{}\n");
    const outcome = await pruneRuns(root, parseAge("7d"), NOW);
    expect(outcome.removed.map((run) => run.path)).toEqual([join(root, "old")]);
    expect((await readdir(root)).sort()).toEqual(["recent", "touched"]);
  });

  it("removes latest when its run is removed, keeps it when its run stays", async () => {
    const root = await tempDir("dslab-prune-latest-");
    await folder(root, "old", { ".dslab-out": "" }, 2 * DAY_MS);
    await symlink("old", join(root, "latest"));
    const kept = await pruneRuns(root, parseAge("3d"), NOW);
    expect(kept).toMatchObject({ removed: [], latestRemoved: false });
    expect(await readlink(join(root, "latest"))).toBe("old");
    const gone = await pruneRuns(root, parseAge("1d"), NOW);
    expect(gone.latestRemoved).toBe(true);
    await expect(lstat(join(root, "latest"))).rejects.toThrow(/ENOENT/);
    expect(describePrune("dslab-out", "1d", gone)).toEqual([
      `removed ${join(root, "old")} (0 B)`,
      "removed dslab-out/latest (its run is gone)",
      "freed 0 B (1 run folder)",
    ]);
  });

  it("never follows a link into another folder", async () => {
    const root = await tempDir("dslab-prune-link-");
    const elsewhere = await folder(await tempDir("dslab-prune-elsewhere-"), "run", {
      ".dslab-out": "",
    });
    await symlink(elsewhere, join(root, "linked"));
    expect((await pruneRuns(root, undefined, NOW)).removed).toEqual([]);
    expect(await readdir(elsewhere)).toContain(".dslab-out");
  });

  it("says so when there is nothing to remove, or no folder at all", async () => {
    const root = await tempDir("dslab-prune-empty-");
    expect(describePrune(root, "12h", await pruneRuns(root, parseAge("12h"), NOW))).toEqual([
      `no run folders older than 12h in ${root}: nothing removed`,
    ]);
    const missing = join(root, "nope");
    expect(describePrune(missing, undefined, await pruneRuns(missing, undefined, NOW))).toEqual([
      `${missing} does not exist: no run folders to remove`,
    ]);
  });
});

describe("parseAge", () => {
  it.each([
    ["7d", 7 * DAY_MS],
    ["12h", 12 * 3_600_000],
    ["30m", 30 * 60_000],
  ])("%s", (text, ms) => expect(parseAge(text)).toBe(ms));

  it.each(["7", "7x", "d", "-1d", "1.5h", "7 d", ""])(
    "refuses %j, naming it and the forms",
    (text) => {
      expect(() => parseAge(text)).toThrow(`"${text}" is not an age`);
      expect(() => parseAge(text)).toThrow(/7d, 12h or 30m/);
    },
  );
});

describe("formatSize", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KB"],
    [5 * 1024 ** 3, "5.0 GB"],
  ])("%d bytes", (bytes, text) => expect(formatSize(bytes)).toBe(text));
});
