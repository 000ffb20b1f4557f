/**
 * What protects a grade under the process runtime, in words for the run's log and for
 * `dslab doctor`: each protection is active or not, and why not.
 */
import { cgroupSupport } from "../host/cgroup.ts";
import type { SandboxStatus } from "../host/sandbox.ts";
import { firewallSupport } from "../runtime/toxiproxy-firewall.ts";

export type ProtectionKind = "cgroups" | "sandbox user" | "firewall";

export interface Protection {
  kind: ProtectionKind;
  what: string;
  active: boolean;
  detail: string;
}

/** The protections as this harness process has them (the sandbox as enterSandbox left it). */
export function protections(sandbox: SandboxStatus): Protection[] {
  const cgroups = cgroupSupport();
  const firewall = firewallSupport();
  return [
    {
      kind: "cgroups",
      what: "cgroups (nothing a build or node starts outlives it)",
      active: cgroups.available,
      detail: cgroups.available ? `${cgroups.kind} under ${cgroups.parent}` : cgroups.why,
    },
    {
      kind: "sandbox user",
      what: "sandbox user (builds and nodes cannot read the course or the harness's files)",
      active: sandbox.active,
      detail: sandbox.active ? `uid ${sandbox.user.uid}` : sandbox.why,
    },
    {
      kind: "firewall",
      what: "firewall (nodes cannot reach the Toxiproxy API)",
      active: sandbox.active && firewall.ok,
      detail: !sandbox.active
        ? "needs the sandbox user"
        : firewall.ok
          ? "iptables owner-match rule per run"
          : firewall.why,
    },
  ];
}

/** One line for the run's log. */
export function describeSandbox(sandbox: SandboxStatus): string {
  const parts = protections(sandbox).map(
    (p) => `${p.kind} ${p.active ? "on" : `OFF (${p.detail})`}`,
  );
  return `protections: ${parts.join("; ")}`;
}
