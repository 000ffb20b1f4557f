/**
 * `dslab images`: builds the two images locally (there is no registry here): Toxiproxy from a
 * static Go build in a FROM-scratch image under its official name, and dslab/runtime:1 with the
 * node-contract toolchain from a debootstrapped Debian bookworm. Present images are kept.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerClient, hasImage, RUNTIME_IMAGE, TOXIPROXY_IMAGE } from "../host/docker-engine.ts";

export const RUNTIME_PACKAGES = [
  "gcc",
  "g++",
  "make",
  "pkg-config",
  "python3",
  "rpcsvc-proto",
  "libtirpc-dev",
];
const DEBIAN_MIRROR = "http://deb.debian.org/debian";
const STEP_TIMEOUT_MS = 30 * 60_000;

export async function buildImages(options: { force: boolean; log: (line: string) => void }) {
  const docker = await dockerClient();
  for (const [image, build] of [
    [TOXIPROXY_IMAGE, buildToxiproxyImage],
    [RUNTIME_IMAGE, buildRuntimeImage],
  ] as const) {
    if (!options.force && (await hasImage(docker, image))) {
      options.log(`${image}: present`);
      continue;
    }
    options.log(`${image}: building...`);
    const work = await mkdtemp(join(tmpdir(), "dslab-image-"));
    try {
      await build(work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    options.log(`${image}: built`);
  }
}

async function step(what: string, file: string, args: string[], env: Record<string, string> = {}) {
  const result = await execa(file, args, {
    reject: false,
    all: true,
    timeout: STEP_TIMEOUT_MS,
    env,
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `${what} failed (${file} ${args.join(" ")}):\n${(result.all ?? "").slice(-4000)}`,
    );
  }
}

async function buildToxiproxyImage(work: string): Promise<void> {
  await step(
    "go install of toxiproxy v2.12.0",
    "go",
    ["install", "github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0"],
    {
      GOBIN: work,
      CGO_ENABLED: "0",
    },
  );
  await step("renaming the toxiproxy binary", "mv", [
    join(work, "server"),
    join(work, "toxiproxy"),
  ]);
  await step("docker import of the toxiproxy image", "sh", [
    "-c",
    `tar -C "$1" -c toxiproxy | docker import --change 'ENTRYPOINT ["/toxiproxy"]' --change 'CMD ["-host=0.0.0.0"]' --change 'EXPOSE 8474' - "$2"`,
    "import",
    work,
    TOXIPROXY_IMAGE,
  ]);
}

async function buildRuntimeImage(work: string): Promise<void> {
  const root = join(work, "root");
  await step(
    "debootstrap of Debian bookworm (apt-get install debootstrap if missing)",
    "debootstrap",
    [
      "--variant=minbase",
      `--include=${RUNTIME_PACKAGES.join(",")}`,
      "bookworm",
      root,
      DEBIAN_MIRROR,
    ],
  );
  await step("docker import of the runtime image", "sh", [
    "-c",
    `tar -C "$1" -c . | docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$2"`,
    "import",
    root,
    RUNTIME_IMAGE,
  ]);
}
