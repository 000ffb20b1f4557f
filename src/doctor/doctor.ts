/** `dslab doctor`: what dslab needs, what is present and missing, and the fix for each. */
import { execa } from "execa";
import { findToxiproxyBinary } from "../net/toxiproxy-server.ts";
import {
  dockerClient,
  hasImage,
  RUNTIME_IMAGE,
  TOXIPROXY_IMAGE,
} from "../runtime/docker-engine.ts";

export interface DoctorCheck {
  what: string;
  ok: boolean;
  detail: string;
  fix: string;
}

async function has(command: string, args: string[]): Promise<string | undefined> {
  const result = await execa(command, args, { reject: false, timeout: 10_000, all: true });
  return result.exitCode === 0 ? (result.all ?? "").split("\n")[0] : undefined;
}

export async function runDoctor(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (what: string, detail: string | undefined, fix: string) =>
    checks.push({ what, ok: detail !== undefined, detail: detail ?? "missing", fix });
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  add(
    "Node >= 22.18",
    major > 22 || (major === 22 && minor >= 18) ? process.version : undefined,
    "scripts/setup.sh",
  );
  let toxiproxy: string | undefined;
  try {
    toxiproxy = findToxiproxyBinary();
  } catch {
    toxiproxy = undefined;
  }
  add("toxiproxy-server (process runtime)", toxiproxy, "scripts/setup.sh");
  const docker = await dockerClient().catch(() => undefined);
  add(
    "docker engine",
    docker ? "answers" : undefined,
    "scripts/setup.sh --with-docker (installs docker.io, starts dockerd)",
  );
  add(
    "docker firewall (iptables, as root)",
    (await has("iptables", ["-S", "INPUT"])) === undefined ? undefined : "usable",
    "run dslab as root on a machine with iptables (apt-get install iptables)",
  );
  for (const image of [TOXIPROXY_IMAGE, RUNTIME_IMAGE]) {
    add(
      `image ${image}`,
      docker && (await hasImage(docker, image)) ? "present" : undefined,
      "bin/dslab images",
    );
  }
  add(
    "offline builds (unshare --net)",
    (await has("unshare", ["--net", "true"])) === undefined ? undefined : "usable",
    "run as root or allow unprivileged user namespaces; otherwise local builds keep the network",
  );
  add("gcc", await has("gcc", ["--version"]), "apt-get install gcc");
  add("g++", await has("g++", ["--version"]), "apt-get install g++");
  add("make", await has("make", ["--version"]), "apt-get install make");
  add("rpcgen", await has("sh", ["-c", "command -v rpcgen"]), "apt-get install rpcsvc-proto");
  add(
    "libtirpc",
    await has("pkg-config", ["--modversion", "libtirpc"]),
    "apt-get install libtirpc-dev pkg-config",
  );
  add(
    "chromium (trace viewer screenshots)",
    await has("sh", ["-c", "command -v chromium || command -v chromium-browser"]),
    "apt-get install chromium",
  );
  return checks;
}

/** The default runtime is process; docker is chosen with --runtime docker. */
export function formatDoctor(checks: DoctorCheck[]): string {
  const lines = checks.map(
    (c) =>
      `${c.ok ? "ok     " : "MISSING"} ${c.what.padEnd(40)} ${c.ok ? c.detail : `fix: ${c.fix}`}`,
  );
  const docker = checks
    .filter((c) => c.what.startsWith("docker") || c.what.startsWith("image"))
    .every((c) => c.ok);
  lines.push(
    `default runtime: process (--runtime docker is ${docker ? "available" : "not available"})`,
  );
  return lines.join("\n");
}
