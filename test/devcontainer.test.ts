/**
 * The development container (students on macOS and Windows) builds submissions with the same
 * toolchain as the runtime image they are graded in, and brings Node 24 and Go for dslab itself.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { RUNTIME_PACKAGES } from "../src/images/build-images.ts";

describe(".devcontainer", () => {
  it("installs every package of the runtime image", async () => {
    const dockerfile = await readFile(".devcontainer/Dockerfile", "utf8");
    const installed =
      /apt-get install[^\n]*\n([\s\S]*?)&&/.exec(dockerfile)?.[1]?.split(/[\s\\]+/) ?? [];
    for (const name of RUNTIME_PACKAGES) expect(installed).toContain(name);
  });

  it("adds Node 24 and a Go that builds toxiproxy-server", async () => {
    const config = JSON.parse(await readFile(".devcontainer/devcontainer.json", "utf8")) as {
      features: Record<string, { version: string }>;
    };
    expect(config.features["ghcr.io/devcontainers/features/node:1"]?.version).toBe("24");
    expect(
      Number(config.features["ghcr.io/devcontainers/features/go:1"]?.version.split(".")[1]),
    ).toBeGreaterThanOrEqual(23);
  });
});
