/**
 * Server ports claimed machine-wide, so that dslab processes sharing a machine (grade-all's
 * jobs, parallel tests, benchmarks) never hand out the same port, and a port left free while
 * its node is down (between a crash and the restart) is not handed to another run. A claim is
 * a file named for the port holding the claimer's pid; one whose process is gone is taken
 * over. Claims end when released, and all of this process's when it exits.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLAIMS_DIR = join(tmpdir(), "dslab-port-claims");
const claimed = new Set<number>();
let releaseOnExit = false;

/** Claims the port for this process; false if a live process (this one too) holds it. */
export function claimPort(port: number): boolean {
  if (claimed.has(port)) return false;
  mkdirSync(CLAIMS_DIR, { recursive: true, mode: 0o1777 });
  const file = join(CLAIMS_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      claimed.add(port);
      if (!releaseOnExit) {
        releaseOnExit = true;
        process.once("exit", () => {
          for (const held of claimed) releasePort(held);
        });
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!isStale(file)) return false;
      try {
        unlinkSync(file);
      } catch {
        return false; // another user's stale claim (sticky directory), or taken over meanwhile
      }
    }
  }
  return false;
}

/** Ends this process's claim on the port (no-op if it holds none). */
export function releasePort(port: number): void {
  if (!claimed.delete(port)) return;
  try {
    unlinkSync(join(CLAIMS_DIR, String(port)));
  } catch {
    // already gone: nothing to release
  }
}

function isStale(file: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8"));
  } catch {
    return false; // being written or removed right now: treat as held
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
