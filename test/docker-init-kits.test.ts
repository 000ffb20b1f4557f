/**
 * `dslab init` kits under `--runtime docker`: each builds in the runtime image and starts in its
 * container, and the first verdict is the same helpful failure as under the process runtime
 * (test/init-kits), with nothing of the run left in the engine. Needs dockerd and the images.
 */
import { describe, expect, it } from "vitest";
import { RUN_LABEL } from "../src/host/docker-engine.ts";
import { leftovers, requireDocker } from "./support/docker.ts";
import { expectHelpfulFirstVerdict, FIRST_RUNS, initAndTest } from "./support/starter-kits.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

requireDocker();
const tempDir = useTempDirs();

// Lab 1's and lab 2's kits: one node and several (peer ports, DSLAB_PEERS across containers).
const RUNS = FIRST_RUNS.filter((run) => run.lab === "rpc" || run.lab === "consensus");

describe.each(["python", "cpp"])("the %s starter kit in containers", (language) => {
  it.each(RUNS)(
    "of lab $lab: builds in the runtime image, starts, fails helpfully",
    {
      timeout: 300_000,
    },
    async (run) => {
      const { summary, exitCode } = await initAndTest(tempDir, run, language, "docker");
      expectHelpfulFirstVerdict(run, summary, exitCode);
      // The run was another process (the CLI): no container or network of any dslab run is left.
      expect(leftovers(RUN_LABEL)).toBe("");
    },
  );
});
