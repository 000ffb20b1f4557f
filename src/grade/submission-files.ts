/**
 * The files of a submission as the build's copy keeps them: .git, node_modules, dslab-out and
 * any folder dslab marked as its output, and Python byte-code, left out. Its fingerprint and
 * what grade-all withholds from other students are both made from this list.
 */
import { lstat, readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { leftOutOfCopy } from "../lab/copy-filter.ts";
import { OUT_MARKER } from "../lab/out-dir.ts";

export interface SubmissionEntry {
  /** Where it is on disk. */
  path: string;
  /** Relative to the submission, with "/" between folders. */
  shown: string;
  /** A symbolic link is listed as such, never followed. */
  kind: "file" | "link";
}

/** Byte-code a local run leaves beside the sources: not part of what was handed in. */
const BUILD_LEFTOVERS = /(^|\/)(__pycache__|[^/]*\.pyc)$/;

/** Every file and link under `root` that is part of the submission, in no set order. */
export async function submissionEntries(root: string): Promise<SubmissionEntry[]> {
  const entries: SubmissionEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = await readdir(dir);
    if (dir !== root && names.includes(OUT_MARKER)) return;
    for (const name of names) {
      const path = join(dir, name);
      const shown = relative(root, path).split(sep).join("/");
      if (leftOutOfCopy(shown) || BUILD_LEFTOVERS.test(shown)) continue;
      const info = await lstat(path);
      if (info.isDirectory()) await walk(path);
      else if (info.isSymbolicLink()) entries.push({ path, shown, kind: "link" });
      else if (info.isFile()) entries.push({ path, shown, kind: "file" });
    }
  };
  await walk(root);
  return entries;
}
