/**
 * `dslab doctor`: what dslab needs, what is present and missing, and the fix for each. Needs
 * come in tiers: what every run needs, what `--runtime docker` needs, and what only improves
 * things (a missing optional tool never fails the doctor).
 */
import { execa } from "execa";
import { dockerClient, hasImage, RUNTIME_IMAGE, TOXIPROXY_IMAGE } from "../host/docker-engine.ts";
import { sandboxSupport } from "../host/sandbox.ts";
import { type ProtectionKind, protections } from "../lab/protections.ts";
import { canInspectSockets } from "../net/proxy-sockets.ts";
import { findToxiproxyBinary } from "../net/toxiproxy-server.ts";
import type { RuntimeKind } from "../runtime/infrastructure.ts";

/** How to turn on each protection of the process runtime (docs/autograder.md, Protections). */
const PROTECTION_FIXES: Record<ProtectionKind, string> = {
  cgroups:
    "run dslab as root with a writable cgroup hierarchy (in a container: a writable /sys/fs/cgroup)",
  "sandbox user": "run dslab as root (as Gradescope does), with setpriv (util-linux)",
  firewall: "run dslab as root with CAP_NET_ADMIN and iptables (scripts/setup.sh installs it)",
};

/** required: every run; docker: runs with --runtime docker; optional: never needed. */
export type DoctorNeed = "required" | "docker" | "optional";

export interface DoctorCheck {
  what: string;
  need: DoctorNeed;
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
  const add = (need: DoctorNeed, what: string, detail: string | undefined, fix: string) =>
    checks.push({ what, need, ok: detail !== undefined, detail: detail ?? "missing", fix });
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  add(
    "required",
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
  add("required", "toxiproxy-server (process runtime)", toxiproxy, "scripts/setup.sh");
  const docker = await dockerClient().catch(() => undefined);
  add(
    "docker",
    "docker engine",
    docker ? "answers" : undefined,
    "scripts/setup.sh --with-docker (installs docker.io, starts dockerd)",
  );
  add(
    "docker",
    "docker firewall (iptables, as root)",
    (await has("iptables", ["-S", "INPUT"])) === undefined ? undefined : "usable",
    "run dslab as root on a machine with iptables (apt-get install iptables)",
  );
  for (const image of [TOXIPROXY_IMAGE, RUNTIME_IMAGE]) {
    add(
      "docker",
      `image ${image}`,
      docker && (await hasImage(docker, image)) ? "present" : undefined,
      "bin/dslab images",
    );
  }
  add(
    "optional",
    "offline builds (unshare --net)",
    (await has("unshare", ["--net", "true"])) === undefined ? undefined : "usable",
    "run as root or allow unprivileged user namespaces (without it, local builds keep the network)",
  );
  for (const protection of protections(sandboxSupport())) {
    checks.push({
      what: `protection: ${protection.what}`,
      need: "optional",
      ok: protection.active,
      detail: protection.detail,
      fix: `${protection.detail}; ${PROTECTION_FIXES[protection.kind]}`,
    });
  }
  checks.push({
    what: "protection: fault-network verification (a node that changes the proxies fails fault-integrity)",
    need: "optional",
    ok: true,
    detail: `always on, every runtime: Toxiproxy's state at each fault change and run's end${canInspectSockets() ? ", and the proxies' sockets (process runtime)" : " (no /proc here: the proxies' sockets are not inspected)"}`,
    fix: "none needed: it cannot be turned off",
  });
  add("required", "gcc", await has("gcc", ["--version"]), "apt-get install gcc");
  add("required", "g++", await has("g++", ["--version"]), "apt-get install g++");
  add("required", "make", await has("make", ["--version"]), "apt-get install make");
  add(
    "required",
    "rpcgen",
    await has("sh", ["-c", "command -v rpcgen"]),
    "apt-get install rpcsvc-proto",
  );
  add(
    "required",
    "libtirpc",
    await has("pkg-config", ["--modversion", "libtirpc"]),
    "apt-get install libtirpc-dev pkg-config",
  );
  add(
    "optional",
    "chromium (trace viewer screenshots)",
    await has("sh", ["-c", "command -v chromium || command -v chromium-browser"]),
    "apt-get install chromium",
  );
  return checks;
}

const HEADINGS: Record<DoctorNeed, string> = {
  required: "required (every run; gcc, make, rpcgen and libtirpc build C and C++ submissions):",
  docker: "for --runtime docker:",
  optional: "optional:",
};

/** Whether the doctor passes: everything required, and docker's needs when asked for. */
export function doctorPasses(checks: DoctorCheck[], runtime: RuntimeKind): boolean {
  return checks.every(
    (check) =>
      check.ok || check.need === "optional" || (check.need === "docker" && runtime !== "docker"),
  );
}

/** The checks by tier; the default runtime is process, docker is chosen with --runtime docker. */
export function formatDoctor(checks: DoctorCheck[]): string {
  const lines: string[] = [];
  for (const need of Object.keys(HEADINGS) as DoctorNeed[]) {
    const tier = checks.filter((c) => c.need === need);
    if (tier.length === 0) continue;
    lines.push(HEADINGS[need]);
    for (const c of tier) {
      const state = c.ok ? "ok     " : need === "optional" ? "absent " : "MISSING";
      lines.push(`  ${state} ${c.what.padEnd(40)} ${c.ok ? c.detail : `fix: ${c.fix}`}`);
    }
  }
  const docker = checks.filter((c) => c.need === "docker").every((c) => c.ok);
  lines.push(
    `default runtime: process (--runtime docker is ${docker ? "available" : "not available"})`,
  );
  return lines.join("\n");
}
