/**
 * `--runtime docker` brings Docker up from the CLI (DSLAB_SETUP, set by bin/dslab), once the
 * arguments have been checked: a usage error never waits for an install, and Docker not ready
 * runs the setup script, whose failure is reported with the fix.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { DockerUnavailableError, ensureDockerReady } from "../src/host/docker-engine.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();

/** A stand-in for scripts/setup.sh: records its arguments, exits with `code`. */
async function fakeSetup(code: number): Promise<{ script: string; calls: () => Promise<string> }> {
  const dir = await tempDir("dslab-setup-");
  const log = join(dir, "calls");
  const script = join(dir, "setup.sh");
  await writeFile(log, "");
  await writeFile(script, `#!/bin/sh\necho "$*" >>'${log}'\nexit ${code}\n`, { mode: 0o755 });
  return { script, calls: () => readFile(log, "utf8") };
}

const dslab = (env: Record<string, string>, ...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
    reject: false,
    timeout: 60_000,
    env,
  });

describe("Docker set up on demand", () => {
  it("does not run the setup for a command with a usage error", async () => {
    const setup = await fakeSetup(0);
    const result = await dslab(
      { DSLAB_SETUP: setup.script },
      "test",
      "rpc",
      "fixtures/rpc/python-reference",
      "--runtime",
      "docker",
      "--scenario",
      "nosuch",
    );
    expect(result.exitCode).toBe(2);
    expect(await setup.calls()).toBe("");
  });

  it("runs the setup once when Docker is not ready, and fails with its fix when the setup fails", async () => {
    const ready = await fakeSetup(0);
    const broken = await fakeSetup(7);
    const previous = process.env.DSLAB_SETUP;
    try {
      process.env.DSLAB_SETUP = ready.script;
      await ensureDockerReady(
        () => undefined,
        async () => true,
      );
      expect(await ready.calls()).toBe("");
      await ensureDockerReady(
        () => undefined,
        async () => false,
      );
      expect(await ready.calls()).toBe("--with-docker\n");
      process.env.DSLAB_SETUP = broken.script;
      const failure = ensureDockerReady(
        () => undefined,
        async () => false,
      );
      await expect(failure).rejects.toThrow(DockerUnavailableError);
      await expect(failure).rejects.toThrow(/setup\.sh --with-docker failed \(exit 7\)/);
    } finally {
      if (previous === undefined) delete process.env.DSLAB_SETUP;
      else process.env.DSLAB_SETUP = previous;
    }
  });
});
