/**
 * SHA-256 fingerprints of what a grade was made from (the submission, the lab definition, the
 * course file), recorded in results.json so staff can tell whether two grades judged the same
 * thing.
 */
import { createHash } from "node:crypto";
import { readFile, readlink } from "node:fs/promises";
import { labDirectory } from "../lab/definition.ts";
import { submissionEntries } from "./submission-files.ts";

export interface GradeFingerprints {
  /** The submission's files (see submissionDigest); absent when they cannot be read. */
  submission?: string;
  /** labs/<lab>/lab.json as dslab read it. */
  lab: string;
  course?: string;
}

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
 * nothing else (not timestamps, not the order the disk lists them). Left out what the build's
 * copy leaves out (submissionEntries). A symbolic link counts as its target's path, never
 * followed.
 */
export async function submissionDigest(root: string): Promise<string> {
  const entries = await submissionEntries(root);
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.shown), Buffer.from(b.shown)));
  const lines: string[] = [];
  for (const { path, shown, kind } of entries) {
    const target = kind === "link" ? await readlink(path) : await readFile(path);
    lines.push(`${kind} ${sha256(target)} ${shown}`);
  }
  return sha256(lines.join("\n"));
}
