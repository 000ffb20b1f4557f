/**
 * A node's network holder is dslab's own container: an engine that refuses its start once
 * (dockerd 20.10: "cannot start an already running container" while other containers are
 * removed) gets a fresh try, and twice is the engine's error naming the node, never a crash.
 * The engine is a stand-in here: no Docker needed.
 */
import type Dockerode from "dockerode";
import { describe, expect, it } from "vitest";
import { DockerRuntime, type DockerRuntimeOptions } from "../src/runtime/docker-runtime.ts";
import type { NodeSpec } from "../src/runtime/types.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();
const REFUSAL =
  "(HTTP code 500) server error - OCI runtime start failed: cannot start an already running container: unknown";

/** An engine whose first `refusals` container starts fail; records creates and removes. */
function flakyEngine(refusals: number) {
  const log: string[] = [];
  let starts = 0;
  const docker = {
    createContainer: async (config: { name: string }) => {
      log.push(`create ${config.name}`);
      return {
        id: config.name,
        start: async () => {
          starts++;
          if (starts <= refusals) throw new Error(REFUSAL);
        },
        inspect: async () => ({
          NetworkSettings: { Networks: { net: { IPAddress: "10.9.0.2" } } },
        }),
        remove: async () => {
          log.push(`remove ${config.name}`);
        },
      };
    },
  };
  return { docker: docker as unknown as Dockerode, log };
}

class HolderProbe extends DockerRuntime {
  prepareNode(spec: NodeSpec) {
    return this.prepare(spec);
  }
}

async function prepareWith(refusals: number) {
  const engine = flakyEngine(refusals);
  const options: DockerRuntimeOptions = {
    emit: () => undefined,
    now: () => 0,
    docker: engine.docker,
    runId: "r1",
    network: "net",
  };
  const dir = await tempDir("dslab-holder-");
  const spec: NodeSpec = {
    id: "n1",
    argv: ["./node"],
    cwd: dir,
    env: {},
    port: 7000,
    peers: [],
    dataDir: `${dir}/data`,
    tmpDir: `${dir}/tmp`,
  };
  const prepared = new HolderProbe(options).prepareNode(spec);
  return { prepared, log: engine.log };
}

describe("a node's network holder container", () => {
  it("is started again from a new container when the engine refuses once", async () => {
    const { prepared, log } = await prepareWith(1);
    await expect(prepared).resolves.toMatchObject({ ip: "10.9.0.2" });
    expect(log).toEqual([
      "create dslab-r1-n1-net",
      "remove dslab-r1-n1-net",
      "create dslab-r1-n1-net",
      "create dslab-r1-n1",
    ]);
  });

  it("fails with the engine's error naming the node when refused twice", async () => {
    const { prepared } = await prepareWith(2);
    await expect(prepared).rejects.toThrow(
      /would not start n1's network holder container \(2 tries\): .*already running container/,
    );
  });
});
