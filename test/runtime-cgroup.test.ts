/**
 * Both kinds of cgroup kill everything inside, also a process that left its session and
 * cleared its environment, and freeze it whole; the v1 freezer is tested where it is mounted
 * writable (the v2 path also runs in hostile-escape.test.ts through the runtime).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { Cgroup, type CgroupKind } from "../src/host/cgroup.ts";

/** A fresh directory in the hierarchy of `kind`, or why there is none here. */
function freshDir(kind: CgroupKind): string {
  const root = kind === "v2" ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup/freezer";
  const dir = join(root, `dslab-test-${process.pid}-${kind}`);
  try {
    mkdirSync(dir);
    return dir;
  } catch (error) {
    return `no writable ${root} (${(error as NodeJS.ErrnoException).code})`;
  }
}

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0];
  } catch {
    return undefined;
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // removed by the test, as it should be
  }
}

for (const kind of ["v2", "v1-freezer"] as const) {
  const dir = freshDir(kind);
  const unavailable = dir.startsWith("/") ? "" : dir;
  describe.skipIf(unavailable !== "")(`cgroup ${kind} ${unavailable}`, () => {
    it("freezes, thaws and kills what escaped its session, then is removed", async () => {
      const cgroup = new Cgroup(kind, dir);
      // Enters, leaves a sleeper in a new session with an empty environment, and exits.
      const started = spawnSync(
        "sh",
        [
          "-c",
          'echo $$ > "$0"; setsid env -i sleep 30 > /dev/null 2>&1 & echo $!',
          cgroup.procsFile,
        ],
        { encoding: "utf8" },
      );
      const escaped = Number(started.stdout.trim());
      onTestFinished(() => {
        if (state(escaped) !== undefined) process.kill(escaped, "SIGKILL");
        rmdirQuietly(dir);
      });
      expect(await cgroup.pids()).toContain(escaped);
      await cgroup.freeze();
      const [file, frozen] =
        kind === "v2" ? ["cgroup.events", /^frozen 1$/m] : ["freezer.state", /^FROZEN$/m];
      expect(readFileSync(join(dir, file), "utf8")).toMatch(frozen);
      await cgroup.thaw();
      expect(await cgroup.kill(2_000)).toBe(true);
      await sleep(50);
      expect(state(escaped) ?? "Z").toBe("Z");
      expect(existsSync(dir)).toBe(false);
    });
  });
}
