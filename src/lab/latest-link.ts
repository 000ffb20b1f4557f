/**
 * `dslab-out/latest`: a relative symbolic link to the newest run's folder, so a student finds
 * the last run without copying its timestamp. Only runs in the default output folder move it.
 */
import { rename, rm, symlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export const LATEST = "latest";

/**
 * Points `<parent of runDir>/latest` at `runDir`. The link is made under a temporary name and
 * renamed over the old one, so a reader never finds `latest` missing or half made.
 */
export async function pointLatestAt(runDir: string): Promise<void> {
  const root = dirname(runDir);
  const temporary = join(root, `.${LATEST}-${process.pid}.tmp`);
  // Relative, so the link survives moving or copying the whole dslab-out folder.
  await symlink(basename(runDir), temporary);
  try {
    await rename(temporary, join(root, LATEST));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * pointLatestAt for the CLI: a link that cannot be made (a file or folder named `latest`, a
 * file system without links) costs the run nothing, only a warning line.
 */
export async function tryPointLatestAt(
  runDir: string,
  warn: (line: string) => void,
): Promise<void> {
  try {
    await pointLatestAt(runDir);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    warn(
      `dslab: warning: ${join(dirname(runDir), LATEST)} was not pointed at this run (${why}); the run goes on, its output is in ${runDir}`,
    );
  }
}
