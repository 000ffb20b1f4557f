/**
 * The Docker engine as dslab uses it: testcontainers' runtime client (dockerode underneath),
 * the image names, and the labels that mark everything a run creates so that `dslab clean`
 * and the watchdog can find it. Ryuk (testcontainers' reaper) cannot be pulled here, so it is
 * disabled and dslab cleans up itself.
 */
import type Dockerode from "dockerode";
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

export class DockerUnavailableError extends Error {}

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

/** A short id for one run's Docker objects (bridge names are limited to 15 characters). */
export function newRunId(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
}
