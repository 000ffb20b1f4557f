/**
 * The first seed of a grading: `--seed`, else the course file's `"seed"` (one number, or one
 * derived from the Gradescope submission's id), else a random one. A course that says how never
 * gets a random seed, so a regrade of the same submission meets the same faults.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { MAX_SEED, randomSeed } from "../cli/seed.ts";
import {
  type CourseSeed,
  loadCourseFile,
  MAX_REPEAT_RUNS,
  SEED_FROM_SUBMISSION_ID,
} from "../lab/definition.ts";
import { UsageError } from "../lab/usage-error.ts";

export interface SeedChoice {
  seed: number;
  /** Where it came from, for the record: "--seed", "course file", "submission id 123", "random". */
  source: string;
}

/** Gradescope writes it beside the submission (its "id" is the submission's). */
export const GRADESCOPE_METADATA = "/autograder/submission_metadata.json";

/** A bad course file throws CourseFileError; unusable metadata throws UsageError. */
export async function gradingSeed(
  flag: number | undefined,
  course: string | undefined,
  metadataPath: string | undefined,
): Promise<SeedChoice> {
  if (flag !== undefined) return { seed: flag, source: "--seed" };
  const wanted = await courseSeed(course);
  if (wanted === undefined) return { seed: randomSeed(), source: "random" };
  if (typeof wanted === "number") return { seed: wanted, source: "course file" };
  if (metadataPath === undefined) {
    throw new UsageError(
      `${course} sets "seed": "${SEED_FROM_SUBMISSION_ID}", which needs Gradescope's submission metadata: pass --submission-metadata ${GRADESCOPE_METADATA} (run_autograder does), or --seed N`,
    );
  }
  const id = await submissionId(metadataPath);
  return { seed: seedFromSubmissionId(id), source: `submission id ${id}` };
}

/**
 * grade-all's one seed for the whole class: `--seed`, else the course file's number, else a
 * random one. A seed per submission id is Gradescope's, where each submission is graded alone.
 */
export async function classSeed(flag: number | undefined, course: string | undefined) {
  if (flag !== undefined) return flag;
  const wanted = await courseSeed(course);
  if (wanted === SEED_FROM_SUBMISSION_ID) {
    throw new UsageError(
      `${course} sets "seed": "${SEED_FROM_SUBMISSION_ID}", a seed per Gradescope submission; grade-all grades a class on one seed: pass --seed N`,
    );
  }
  return wanted ?? randomSeed();
}

async function courseSeed(course: string | undefined): Promise<CourseSeed | undefined> {
  return course === undefined ? undefined : (await loadCourseFile(course)).seed;
}

async function submissionId(path: string): Promise<string> {
  let metadata: unknown;
  try {
    metadata = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new UsageError(
      `--submission-metadata ${path} cannot be read as JSON (${error instanceof Error ? error.message : String(error)}): pass Gradescope's submission_metadata.json`,
    );
  }
  const id = (metadata as { id?: unknown } | null)?.id;
  if ((typeof id !== "number" && typeof id !== "string") || String(id) === "") {
    throw new UsageError(
      `--submission-metadata ${path} has no submission "id" (a number or string): pass Gradescope's submission_metadata.json`,
    );
  }
  return String(id);
}

/**
 * A stable hash of the id, in randomSeed's range (so a repeat rule's last seed stays valid):
 * the same on every machine and in every dslab version that keeps this function.
 */
export function seedFromSubmissionId(id: string): number {
  const digest = createHash("sha256").update(`dslab submission ${id}`).digest();
  const range = MAX_SEED - MAX_REPEAT_RUNS + 2;
  return digest.readUInt32BE(0) % range;
}
