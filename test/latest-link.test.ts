/**
 * dslab-out/latest: a relative link to the newest run, replaced in one rename; a link that
 * cannot be made is a warning, never the run's failure.
 */
import { mkdir, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pointLatestAt, tryPointLatestAt } from "../src/lab/latest-link.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();

describe("pointLatestAt", () => {
  it("points latest at the newest run, relatively, and leaves no temporary link", async () => {
    const root = await tempDir("dslab-latest-");
    for (const run of ["rpc-1", "rpc-2"]) {
      await mkdir(join(root, run));
      await writeFile(join(root, run, "summary.json"), `"${run}"`);
    }
    await pointLatestAt(join(root, "rpc-1"));
    await pointLatestAt(join(root, "rpc-2"));
    expect(await readlink(join(root, "latest"))).toBe("rpc-2");
    expect(await readFile(join(root, "latest", "summary.json"), "utf8")).toBe('"rpc-2"');
    expect((await readdir(root)).sort()).toEqual(["latest", "rpc-1", "rpc-2"]);
  });

  it("a folder named latest is not replaced: one warning line, no throw", async () => {
    const root = await tempDir("dslab-latest-dir-");
    await mkdir(join(root, "latest"));
    await writeFile(join(root, "latest", "mine.txt"), "mine\n");
    await mkdir(join(root, "rpc-1"));
    const warnings: string[] = [];
    await tryPointLatestAt(join(root, "rpc-1"), (line) => warnings.push(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^dslab: warning: .*latest was not pointed at this run \(/);
    expect(await readFile(join(root, "latest", "mine.txt"), "utf8")).toBe("mine\n");
    expect((await readdir(root)).sort()).toEqual(["latest", "rpc-1"]);
  });
});
