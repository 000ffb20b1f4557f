/**
 * SHA-256 fingerprints of what a grade was made from (the submission, the lab definition, the
 * course file), recorded in results.json so staff can tell whether two grades judged the same
 * thing.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { leftOutOfCopy } from "../lab/build.ts";
import { labDirectory } from "../lab/definition.ts";
import { OUT_MARKER } from "../lab/out-dir.ts";

export interface GradeFingerprints {
  /** The submission's files (see submissionDigest); absent when they cannot be read. */
  submission?: string;
  /** labs/<lab>/lab.json as dslab read it. */
  lab: string;
  course?: string;
}

/** Byte-code a local run leaves beside the sources: not part of what was handed in. */
const BUILD_LEFTOVERS = /(^|\/)(__pycache__|[^/]*\.pyc)$/;

export async function gradeFingerprints(
  lab: string,
  submission: string,
  course: string | undefined,
): Promise<GradeFingerprints> {
  // An unreadable submission is graded as such (its manifest); this only leaves it out.
  const digest = await submissionDigest(submission).catch(() => undefined);
  return {
    ...(digest !== undefined ? { submission: digest } : {}),
    lab: sha256(await readFile(`${labDirectory(lab)}lab.json`)),
    ...(course !== undefined ? { course: sha256(await readFile(course)) } : {}),
  };
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * One hash of every file's path and content, in byte order of the paths, so it depends on
 * nothing else (not timestamps, not the order the disk lists them). Left out, as the build's
 * copy leaves them out: .git, node_modules, dslab-out and any folder dslab marked as its output,
 * and Python byte-code. A symbolic link counts as its target's path, never followed.
 */
export async function submissionDigest(root: string): Promise<string> {
  const entries: Array<{ path: string; line: string }> = [];
  const walk = async (dir: string): Promise<void> => {
    const names = await readdir(dir);
    if (dir !== root && names.includes(OUT_MARKER)) return;
    for (const name of names) {
      const path = join(dir, name);
      const shown = relative(root, path).split(sep).join("/");
      if (leftOutOfCopy(shown) || BUILD_LEFTOVERS.test(shown)) continue;
      const info = await lstat(path);
      if (info.isDirectory()) await walk(path);
      else if (info.isSymbolicLink())
        entries.push({ path: shown, line: `link ${sha256(await readlink(path))} ${shown}` });
      else if (info.isFile())
        entries.push({ path: shown, line: `file ${sha256(await readFile(path))} ${shown}` });
    }
  };
  await walk(root);
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return sha256(entries.map((entry) => entry.line).join("\n"));
}
