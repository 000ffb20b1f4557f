/**
 * A cgroup holds one build or one node incarnation and everything it starts, whatever that
 * does (a new session, a cleared environment): killed as a whole, frozen as a whole, removed
 * once empty. cgroup v2 (cgroup.kill, cgroup.freeze) where a writable hierarchy is mounted,
 * else the v1 freezer (freeze, SIGKILL every member, thaw); where neither can be written (a
 * container's read-only /sys/fs/cgroup, a user without a delegated cgroup) there are none,
 * and callers fall back to process groups (cgroupSupport says why).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export type CgroupKind = "v2" | "v1-freezer";

export type CgroupSupport =
  | { available: true; kind: CgroupKind; parent: string }
  | { available: false; why: string };

const POLL_MS = 10;
let support: CgroupSupport | undefined;
let serial = 0;

/**
 * Whether this harness can put processes in cgroups of its own, decided once by trying: a
 * parent cgroup dslab-<pid>-<random> is made under the harness's own cgroup (and removed until
 * the first createCgroup), and a probe process must be able to enter a child of it.
 */
export function cgroupSupport(): CgroupSupport {
  support ??= detect();
  return support;
}

function detect(): CgroupSupport {
  const name = `dslab-${process.pid}-${randomBytes(4).toString("hex")}`;
  const reasons: string[] = [];
  for (const kind of ["v2", "v1-freezer"] as const) {
    const base = ownCgroupDir(kind);
    if (base === undefined) {
      reasons.push(`no ${kind === "v2" ? "cgroup v2 hierarchy" : "cgroup v1 freezer"} mounted`);
      continue;
    }
    const parent = join(base, name);
    const why = tryParent(kind, parent);
    if (why === undefined) return { available: true, kind, parent };
    reasons.push(`${kind}: ${why}`);
  }
  return { available: false, why: reasons.join("; ") };
}

/** Makes the parent and checks that a process can enter a child of it (undefined: it can). */
function tryParent(kind: CgroupKind, parent: string): string | undefined {
  try {
    mkdirSync(parent);
  } catch (error) {
    return `cannot create ${parent} (${(error as NodeJS.ErrnoException).code})`;
  }
  const why = tryEntering(kind, parent);
  // Made again by the first createCgroup: a caller that only asks leaves nothing behind.
  removeQuietly(parent);
  return why;
}

function tryEntering(kind: CgroupKind, parent: string): string | undefined {
  if (kind === "v2" && !existsSync(join(parent, "cgroup.kill"))) {
    return "no cgroup.kill (Linux before 5.14)";
  }
  const probe = join(parent, "probe");
  try {
    mkdirSync(probe);
    const entered = spawnSync("sh", ["-c", 'echo $$ > "$0"', join(probe, "cgroup.procs")], {
      stdio: "ignore",
    });
    return entered.status === 0 ? undefined : `a process cannot enter ${probe}`;
  } catch (error) {
    return `cannot use ${parent} (${(error as Error).message})`;
  } finally {
    removeQuietly(probe);
  }
}

/** The directory of this process's own cgroup in the hierarchy `kind`, if it is mounted. */
function ownCgroupDir(kind: CgroupKind): string | undefined {
  const own = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .find(([, controllers]) =>
      kind === "v2" ? controllers === "" : (controllers ?? "").split(",").includes("freezer"),
    )?.[2];
  if (own === undefined) return undefined;
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    // "id parent major:minor root mountpoint options ... - fstype source superoptions"
    const [before, after] = line.split(" - ");
    const [, , , root, mountPoint] = (before ?? "").split(" ");
    const [fstype, , superOptions] = (after ?? "").split(" ");
    if (root === undefined || mountPoint === undefined) continue;
    const matches =
      kind === "v2"
        ? fstype === "cgroup2"
        : fstype === "cgroup" && (superOptions ?? "").split(",").includes("freezer");
    const inside = relative(root, own);
    if (matches && !inside.startsWith("..")) return join(unescapeMountPath(mountPoint), inside);
  }
  return undefined;
}

/** mountinfo escapes spaces and the like as \\ooo. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/**
 * A new, empty cgroup for one build or incarnation (`label` makes it recognisable), or
 * undefined where the machine allows none.
 */
export async function createCgroup(label: string): Promise<Cgroup | undefined> {
  const found = cgroupSupport();
  if (!found.available) return undefined;
  serial += 1;
  const dir = join(found.parent, `${label.replace(/[^\w.-]/g, "_")}-${serial}`);
  if (serial === 1) {
    // Also for a caller without the reaper (which does this on signals and for a SIGKILL too).
    process.once("exit", killEveryCgroupSync);
  }
  await mkdir(dir, { recursive: true });
  return new Cgroup(found.kind, dir);
}

export class Cgroup {
  readonly kind: CgroupKind;
  readonly dir: string;
  #killing: Promise<boolean> | undefined;

  constructor(kind: CgroupKind, dir: string) {
    this.kind = kind;
    this.dir = dir;
  }

  /** A process writes its own pid here to enter (before it execs the program). */
  get procsFile(): string {
    return join(this.dir, "cgroup.procs");
  }

  /** The pids in it now. */
  async pids(): Promise<number[]> {
    const text = await readFile(this.procsFile, "utf8").catch(() => "");
    return text.split("\n").filter(Boolean).map(Number);
  }

  async freeze(): Promise<void> {
    if (this.kind === "v2") {
      await writeFile(join(this.dir, "cgroup.freeze"), "1");
      await this.#until(async () => /^frozen 1$/m.test(await this.#read("cgroup.events")));
    } else {
      await writeFile(join(this.dir, "freezer.state"), "FROZEN");
      await this.#until(async () => (await this.#read("freezer.state")).trim() === "FROZEN");
    }
  }

  async thaw(): Promise<void> {
    if (this.kind === "v2") await writeFile(join(this.dir, "cgroup.freeze"), "0");
    else await writeFile(join(this.dir, "freezer.state"), "THAWED");
  }

  /**
   * SIGKILLs every process in it and resolves true once none is left, then removes it; false
   * if some are still there after limitMs (stuck in the kernel). A second call joins the first.
   */
  kill(limitMs: number): Promise<boolean> {
    this.#killing ??= this.#kill(limitMs);
    return this.#killing;
  }

  async #kill(limitMs: number): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const pids = await this.pids();
      if (pids.length === 0) break;
      if (Date.now() >= deadline) return false;
      if (this.kind === "v2") await writeFile(join(this.dir, "cgroup.kill"), "1");
      else await this.#killFrozen();
      await sleep(POLL_MS);
    }
    await this.#remove(deadline);
    return true;
  }

  /** v1: frozen, nothing can fork between reading the members and killing them. */
  async #killFrozen(): Promise<void> {
    await this.freeze().catch(() => undefined);
    for (const pid of await this.pids()) killQuietly(pid);
    await this.thaw();
  }

  /** Removes it once the kernel has let go of its last member (rmdir says EBUSY until then). */
  async #remove(deadline: number): Promise<void> {
    for (;;) {
      try {
        await rmdir(this.dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code !== "EBUSY" || Date.now() >= deadline) throw error;
        await sleep(POLL_MS);
      }
    }
  }

  async #read(file: string): Promise<string> {
    return readFile(join(this.dir, file), "utf8").catch(() => "");
  }

  /** Polls `done` for at most a second (freezing takes microseconds unless a task is stuck). */
  async #until(done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 1_000;
    while (!(await done()) && Date.now() < deadline) await sleep(POLL_MS);
  }
}

/**
 * Kills everything in every cgroup this harness made and removes them and their parent,
 * synchronously (it runs inside 'exit' and signal handlers); waits up to a second for the
 * kernel to empty them.
 */
export function killEveryCgroupSync(): void {
  if (support === undefined || !support.available) return;
  const { kind, parent } = support;
  const children = () => {
    try {
      return readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(parent, entry.name));
    } catch {
      return [];
    }
  };
  const deadline = Date.now() + 1_000;
  for (;;) {
    const left = children().filter((dir) => !removeQuietly(dir));
    if (left.length === 0 || Date.now() >= deadline) break;
    for (const dir of left) killSync(kind, dir);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, POLL_MS);
  }
  removeQuietly(parent);
}

function killSync(kind: CgroupKind, dir: string): void {
  try {
    if (kind === "v2") {
      writeFileSync(join(dir, "cgroup.kill"), "1");
      return;
    }
    const pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
    for (const pid of pids) killQuietly(Number(pid));
    // Frozen members die only once thawed.
    writeFileSync(join(dir, "freezer.state"), "THAWED");
  } catch {
    // emptied and removed meanwhile
  }
}

/** True once the directory is gone. */
function removeQuietly(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
