/** Shared by the `--runtime docker` tests: the engine's preconditions and what a run left. */
import { execFileSync } from "node:child_process";
import { beforeAll } from "vitest";
import {
  PID_LABEL,
  RUN_LABEL,
  RUNTIME_IMAGE,
  TOXIPROXY_IMAGE,
} from "../../src/host/docker-engine.ts";
import type { TestSummary } from "../../src/lab/run-lab.ts";

const DOCKER_TIMEOUT_MS = 20_000;

/** Fails the file at once, with the fix, when dockerd or an image is missing. */
export function requireDocker(): void {
  beforeAll(() => {
    try {
      execFileSync("docker", ["info"], { stdio: "ignore", timeout: DOCKER_TIMEOUT_MS });
    } catch {
      throw new Error("docker info failed: start dockerd / run scripts/setup.sh --with-docker");
    }
    for (const image of [TOXIPROXY_IMAGE, RUNTIME_IMAGE]) {
      try {
        execFileSync("docker", ["image", "inspect", image], {
          stdio: "ignore",
          timeout: DOCKER_TIMEOUT_MS,
        });
      } catch {
        throw new Error(
          `image ${image} missing: run bin/dslab images (scripts/setup.sh --with-docker)`,
        );
      }
    }
  });
}

/** Runs the docker CLI and returns its stdout, trimmed. */
export function docker(args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", timeout: DOCKER_TIMEOUT_MS }).trim();
}

/** The label on everything the runs of this process (or of the harness with that pid) create. */
export const ownerLabel = (pid = process.pid) => `${PID_LABEL}=${pid}`;

/**
 * Containers and networks matching the label filter (by default those of this process's
 * runs: other runs may share the engine), as `docker ps -a` / `docker network ls` see them;
 * "" when there are none.
 */
export function leftovers(label = ownerLabel()): string {
  const filter = ["--filter", `label=${label}`];
  const containers = docker(["ps", "-aq", ...filter]);
  const networks = docker(["network", "ls", "-q", ...filter]);
  return `${containers}\n${networks}`.trim();
}

/** The iptables rules tagged with the run, as `iptables -S` prints them. */
export function isolationRules(runId: string): string[] {
  const listed = execFileSync("iptables", ["-S"], { encoding: "utf8", timeout: DOCKER_TIMEOUT_MS });
  return listed.split("\n").filter((line) => line.includes(`"${RUN_LABEL}=${runId}"`));
}

export const verdicts = (summary: TestSummary) =>
  Object.fromEntries(summary.results.map((r) => [r.scenario, r.verdict]));

/** Per scenario, the verdict and the properties that failed. */
export const outcomes = (summary: TestSummary) =>
  Object.fromEntries(
    summary.results.map((r) => [
      r.scenario,
      {
        verdict: r.verdict,
        failed: r.checks.filter((c) => c.verdict === "fail").map((c) => c.property),
      },
    ]),
  );
