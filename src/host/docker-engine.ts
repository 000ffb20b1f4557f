/**
 * The Docker engine as dslab uses it: testcontainers' runtime client (dockerode underneath),
 * the image names, and the labels that mark everything a run creates so that `dslab clean`
 * and the watchdog can find it. Ryuk (testcontainers' reaper) cannot be pulled here, so it is
 * disabled and dslab cleans up itself.
 */
import type Dockerode from "dockerode";
import { execa } from "execa";
import { getContainerRuntimeClient } from "testcontainers";
import { settlesWithin } from "./settles-within.ts";

process.env.TESTCONTAINERS_RYUK_DISABLED = "true";

export const TOXIPROXY_IMAGE = "ghcr.io/shopify/toxiproxy:2.12.0";
export const RUNTIME_IMAGE = "dslab/runtime:1";
/** Every container, network and volume of a run carries dslab.run=<run id>. */
export const RUN_LABEL = "dslab.run";
/** The harness's pid, so that `dslab clean` can tell a dead run from a live one. */
export const PID_LABEL = "dslab.pid";
export const DOCKER_FIX = "start dockerd / run scripts/setup.sh --with-docker";
const PING_TIMEOUT_MS = 5_000;

export class DockerUnavailableError extends Error {
  override name = "DockerUnavailableError";
}

let client: Promise<Dockerode> | undefined;

/** The engine's client, once it has answered a ping; throws DockerUnavailableError if not. */
export function dockerClient(): Promise<Dockerode> {
  client ??= connect();
  client.catch(() => {
    client = undefined; // the next call tries again (dockerd may have been started meanwhile)
  });
  return client;
}

async function connect(): Promise<Dockerode> {
  const failure = (why: string) =>
    new DockerUnavailableError(`the Docker engine does not answer (${why}): ${DOCKER_FIX}`);
  let dockerode: Dockerode;
  try {
    dockerode = (await getContainerRuntimeClient()).container.dockerode;
  } catch (error) {
    throw failure((error as Error).message);
  }
  const ping = dockerode.ping();
  if (!(await settlesWithin(ping, PING_TIMEOUT_MS))) throw failure("no answer to ping in 5 s");
  await ping.catch((error: Error) => {
    throw failure(error.message);
  });
  return dockerode;
}

/** The labels of everything created for one run. */
export function runLabels(runId: string): Record<string, string> {
  return { [RUN_LABEL]: runId, [PID_LABEL]: String(process.pid) };
}

/** true when the image is present locally (there is no registry to pull from). */
export async function hasImage(docker: Dockerode, image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** Throws with the fix when one of the images is missing. */
export async function requireImages(docker: Dockerode, images: string[]): Promise<void> {
  const missing: string[] = [];
  for (const image of images) if (!(await hasImage(docker, image))) missing.push(image);
  if (missing.length > 0) {
    throw new DockerUnavailableError(
      `missing Docker image${missing.length > 1 ? "s" : ""} ${missing.join(", ")}: run bin/dslab images (or scripts/setup.sh --with-docker)`,
    );
  }
}

/** The engine answers and both images are present. */
function dockerIsReady(): Promise<boolean> {
  return dockerClient()
    .then((docker) => requireImages(docker, [TOXIPROXY_IMAGE, RUNTIME_IMAGE]))
    .then(
      () => true,
      () => false,
    );
}

/** Installing docker.io, starting dockerd and building both images, at most. */
const SETUP_LIMIT_MS = 15 * 60_000;

/**
 * What `--runtime docker` needs, brought up when missing: bin/dslab names its setup script in
 * DSLAB_SETUP, run here (once the command's arguments have been checked, so a usage error never
 * waits for an install). Without it, the run reports what is missing with the fix.
 */
export async function ensureDockerReady(
  log: (line: string) => void,
  isReady: () => Promise<boolean> = dockerIsReady,
): Promise<void> {
  const setup = process.env.DSLAB_SETUP;
  if (!setup || (await isReady())) return;
  log(`setting up Docker: ${setup} --with-docker (the engine, then the images, built locally)`);
  const result = await execa(setup, ["--with-docker"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
    timeout: SETUP_LIMIT_MS,
    reject: false,
  });
  if (result.exitCode !== 0) {
    throw new DockerUnavailableError(
      `${setup} --with-docker ${result.timedOut ? `took over ${SETUP_LIMIT_MS / 60_000} minutes` : `failed (exit ${result.exitCode})`}: ${DOCKER_FIX}`,
    );
  }
}

/** A short id for one run's Docker objects (bridge names are limited to 15 characters). */
export function newRunId(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
}
