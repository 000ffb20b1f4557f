/**
 * Files other programs read while dslab may be killed: written to a temporary name in the same
 * directory and renamed over the old one, so a reader sees the old or the new file, never half.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

let counter = 0;

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.tmp-${process.pid}-${counter++}`;
  try {
    await writeFile(staging, text);
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
}
