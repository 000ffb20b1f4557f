/**
 * Where a grading runs nodes: `--runtime`, else the course file's `"runtime"`, else local
 * processes. An autograder running untrusted code on its own machine wants the Docker sandbox;
 * inside a sandbox of its own (Gradescope's container) processes do.
 */
import { loadCourseFile } from "../lab/definition.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";

const DEFAULT_RUNTIME: RuntimeKind = "process";

/** A bad course file throws CourseFileError (naming the file, the field and the value). */
export async function gradingRuntime(
  flag: RuntimeKind | undefined,
  course: string | undefined,
): Promise<RuntimeKind> {
  if (flag !== undefined) return flag;
  if (course === undefined) return DEFAULT_RUNTIME;
  return (await loadCourseFile(course)).runtime ?? DEFAULT_RUNTIME;
}
