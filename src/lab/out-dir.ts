/**
 * Output directories. dslab replaces what it wrote in an output directory (the build copy, a
 * scenario's folder), so it only writes in a directory that is new, empty, or marked as its own
 * by an earlier run: never in the submission, never over someone else's files. Checked before
 * anything is built, with one-line errors (exit 2).
 */
import { mkdir, readdir, realpath, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { leftOutOfCopy } from "./copy-filter.ts";
import { UsageError } from "./usage-error.ts";

/** The file that marks a directory as dslab's output (summary.json marks older ones). */
export const OUT_MARKER = ".dslab-out";
export const OLDER_OUT_MARKER = "summary.json";

/**
 * Makes `outDir` ready for this run and returns its absolute path. `sources` are the
 * directories the run reads (a submission, a class folder): the output may be neither inside
 * them (the build copies the submission into it) nor hold them.
 */
export async function prepareOutDir(outDir: string, sources: string[]): Promise<string> {
  const dir = resolve(outDir);
  const where = `the output directory ${outDir}`;
  const canonicalDir = await canonical(dir);
  for (const source of sources) {
    const canonicalSource = await canonical(resolve(source));
    const inside = relative(canonicalSource, canonicalDir);
    if (inside === "") {
      throw new UsageError(
        `${where} is ${source} itself; choose an empty or new directory with --out`,
      );
    }
    if (isBelow(inside) && !inside.split(sep).some(leftOutOfCopy)) {
      throw new UsageError(
        `${where} is inside ${source}, which dslab copies into it; choose a directory outside it with --out (or under its dslab-out/)`,
      );
    }
    if (isBelow(relative(canonicalDir, canonicalSource))) {
      throw new UsageError(
        `${source} is inside ${where}, where dslab replaces what it writes; choose another directory with --out`,
      );
    }
  }
  if (await makeDirectory(dir, where)) {
    const entries = await readdir(dir).catch((error: Error) => {
      throw new UsageError(`${where} cannot be read (${error.message}); choose another with --out`);
    });
    if (
      entries.length > 0 &&
      !entries.includes(OUT_MARKER) &&
      !entries.includes(OLDER_OUT_MARKER)
    ) {
      throw new UsageError(
        `${where} already holds files that dslab did not write; choose an empty or new directory with --out`,
      );
    }
  }
  await writeFile(
    join(dir, OUT_MARKER),
    "dslab's output: dslab replaces what it wrote in this directory.\n",
  ).catch((error: Error) => {
    throw new UsageError(`${where} is not writable (${error.message}); choose another with --out`);
  });
  return dir;
}

/** True when dslab marked `dir` as its output (so it may replace it). */
export async function isOutDir(dir: string): Promise<boolean> {
  const entries = await readdir(dir).catch((): string[] => []);
  return entries.includes(OUT_MARKER);
}

function isBelow(path: string): boolean {
  return path !== "" && path !== ".." && !path.startsWith(`..${sep}`) && !path.startsWith(sep);
}

/** The path with symbolic links resolved, as far as it exists. */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(await canonical(parent), basename(path));
  }
}

/**
 * Creates `dir` one level at a time (Node's recursive mkdir spins for ever on a path that
 * cannot exist, such as one under /proc); true when it existed already.
 */
async function makeDirectory(dir: string, where: string): Promise<boolean> {
  const found = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw new UsageError(`${where} cannot be used (${error.message}); choose another with --out`);
  });
  if (found) {
    if (!found.isDirectory()) {
      throw new UsageError(
        `${where} cannot be created: ${dir} is a file; choose another with --out`,
      );
    }
    return true;
  }
  const parent = dirname(dir);
  if (parent !== dir) await makeDirectory(parent, where);
  await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EEXIST") return;
    throw new UsageError(
      `${where} cannot be created (${error.message}); choose another with --out`,
    );
  });
  return false;
}
