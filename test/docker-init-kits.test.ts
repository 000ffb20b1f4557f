/**
 * `dslab init` kits under `--runtime docker`: each language's kit builds in the runtime image and
 * starts in its containers, and the first verdict is the same helpful failure as under the
 * process runtime (test/init-kits, every kit), with nothing of the run left in the engine.
 * Needs dockerd and the images.
 */
import { describe, expect, it } from "vitest";
import { RUN_LABEL } from "../src/host/docker-engine.ts";
import { leftovers, requireDocker } from "./support/docker.ts";
import { expectHelpfulFirstVerdict, FIRST_RUNS, initAndTest } from "./support/starter-kits.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

requireDocker();
const tempDir = useTempDirs();

const firstRunOf = (lab: string) => {
  const run = FIRST_RUNS.find((candidate) => candidate.lab === lab);
  if (!run) throw new Error(`FIRST_RUNS has no lab ${lab}`);
  return run;
};

// Each language once: Python with lab 1's one node, C++ (rpcgen in the image) with lab 2's
// three (peer ports, DSLAB_PEERS across containers).
const KITS = [
  { language: "python", run: firstRunOf("rpc") },
  { language: "cpp", run: firstRunOf("consensus") },
];

describe("starter kits in containers", () => {
  it.each(KITS)(
    "the $language kit of lab $run.lab builds in the runtime image, starts, fails helpfully",
    {
      timeout: 300_000,
    },
    async ({ language, run }) => {
      const { summary, exitCode } = await initAndTest(tempDir, run, language, "docker");
      expectHelpfulFirstVerdict(run, summary, exitCode);
      // The run was another process (the CLI): no container or network of any dslab run is left.
      expect(leftovers(RUN_LABEL)).toBe("");
    },
  );
});
