/**
 * `dslab clean --runs`: remove old run folders from dslab-out. Only folders dslab marked as
 * its own (OUT_MARKER, or summary.json in older ones) are candidates: anything else a student
 * keeps there is never touched.
 */
import { lstat, readdir, readFile, readlink, rm, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { LATEST } from "./latest-link.ts";
import { OLDER_OUT_MARKER, OUT_MARKER } from "./out-dir.ts";

export interface PrunedRun {
  /** The folder's path (under the root as given). */
  path: string;
  bytes: number;
}

export interface PruneOutcome {
  removed: PrunedRun[];
  /** Folders under the root that dslab did not mark: left alone. */
  unmarked: string[];
  /** Runs still going (summary "running", written to within IN_PROGRESS_WINDOW_MS): left alone. */
  inProgress: string[];
  /** The `latest` link was removed because its run was. */
  latestRemoved: boolean;
  /** The root does not exist. */
  noRoot: boolean;
}

/**
 * Removes the run folders directly under `root` whose newest file is older than `olderThanMs`
 * (every run folder when undefined), then `latest` when it points nowhere any more.
 */
export async function pruneRuns(
  root: string,
  olderThanMs: number | undefined,
  now: number = Date.now(),
): Promise<PruneOutcome> {
  const outcome: PruneOutcome = {
    removed: [],
    unmarked: [],
    inProgress: [],
    latestRemoved: false,
    noRoot: false,
  };
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ...outcome, noRoot: true };
    throw error;
  }
  for (const name of entries.sort()) {
    const path = join(root, name);
    // lstat: a link (latest, or one a student made) is never followed into another folder.
    const info = await lstat(path).catch(ignoreGone);
    if (!info?.isDirectory()) continue;
    const inside = (await readdir(path).catch(ignoreGone)) ?? [];
    if (!inside.includes(OUT_MARKER) && !inside.includes(OLDER_OUT_MARKER)) {
      outcome.unmarked.push(path);
      continue;
    }
    const { bytes, newestMs } = await measure(path);
    if (olderThanMs !== undefined && now - newestMs < olderThanMs) continue;
    if (now - newestMs < IN_PROGRESS_WINDOW_MS && (await summaryStatus(path)) === "running") {
      outcome.inProgress.push(path);
      continue;
    }
    await rm(path, { recursive: true, force: true });
    outcome.removed.push({ path, bytes });
  }
  outcome.latestRemoved = await removeIfDangling(join(root, LATEST));
  return outcome;
}

/**
 * A run writes its trace as events happen and its summary after every scenario: one marked
 * "running" whose files changed this recently is going on (one killed outright stops changing).
 */
export const IN_PROGRESS_WINDOW_MS = 10 * 60_000;

async function summaryStatus(path: string): Promise<unknown> {
  try {
    return (JSON.parse(await readFile(join(path, "summary.json"), "utf8")) as { status?: unknown })
      .status;
  } catch {
    return undefined;
  }
}

/**
 * The folder's size and its newest modification: a folder's own mtime misses a file
 * rewritten deep inside (summary.json, a trace), so the whole tree counts.
 */
async function measure(path: string): Promise<{ bytes: number; newestMs: number }> {
  // A file a running run removes meanwhile (a node's data) counts for nothing.
  const info = await lstat(path).catch(ignoreGone);
  if (!info) return { bytes: 0, newestMs: 0 };
  let bytes = info.isDirectory() ? 0 : info.size;
  let newestMs = info.mtimeMs;
  if (info.isDirectory()) {
    for (const name of (await readdir(path).catch(ignoreGone)) ?? []) {
      const inner = await measure(join(path, name));
      bytes += inner.bytes;
      newestMs = Math.max(newestMs, inner.newestMs);
    }
  }
  return { bytes, newestMs };
}

function ignoreGone(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}

async function removeIfDangling(link: string): Promise<boolean> {
  const info = await lstat(link).catch(() => undefined);
  if (!info?.isSymbolicLink()) return false;
  const target = resolve(join(link, ".."), await readlink(link));
  if (await stat(target).catch(() => undefined)) return false;
  await unlink(link);
  return true;
}

/** Bytes for people: 0 B, 12.3 KB, 4.5 MB, 1.2 GB (powers of 1024). */
export function formatSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return unit === 0 ? `${size} ${units[0]}` : `${size.toFixed(1)} ${units[unit]}`;
}

/** The lines `dslab clean --runs` prints. */
export function describePrune(
  root: string,
  age: string | undefined,
  outcome: PruneOutcome,
): string[] {
  const which = age === undefined ? "run folders" : `run folders older than ${age}`;
  if (outcome.noRoot) return [`${root} does not exist: no ${which} to remove`];
  const lines = outcome.removed.map(({ path, bytes }) => `removed ${path} (${formatSize(bytes)})`);
  if (outcome.latestRemoved) lines.push(`removed ${join(root, LATEST)} (its run is gone)`);
  if (outcome.removed.length === 0) {
    lines.push(`no ${which} in ${root}: nothing removed`);
  } else {
    const freed = outcome.removed.reduce((sum, run) => sum + run.bytes, 0);
    const count = outcome.removed.length;
    lines.push(`freed ${formatSize(freed)} (${count} run folder${count === 1 ? "" : "s"})`);
  }
  if (outcome.inProgress.length > 0) {
    lines.push(`left alone: ${outcome.inProgress.join(", ")} (a run still going)`);
  }
  if (outcome.unmarked.length > 0) {
    lines.push(
      `left alone: ${outcome.unmarked.length} folder${outcome.unmarked.length === 1 ? "" : "s"} dslab did not mark as its own (${outcome.unmarked.join(", ")})`,
    );
  }
  return lines;
}
