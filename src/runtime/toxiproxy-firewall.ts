/**
 * toxiproxy-server's API listens unauthenticated on 127.0.0.1: a node that reached it could move
 * the proxies and relay around the faults. Under the sandbox user (sandbox.ts) an iptables
 * owner-match rule rejects the sandbox users' TCP to the API port, one rule per server, removed when
 * the server stops and when the harness exits. Needs root with CAP_NET_ADMIN and iptables.
 */
import { spawnSync } from "node:child_process";
import { SANDBOX_UIDS } from "../host/sandbox.ts";

const active = new Set<string>();
let exitHookInstalled = false;

/** Whether rules can be added here, or why not (probed once). */
let support: { ok: true } | { ok: false; why: string } | undefined;
export function firewallSupport(): { ok: true } | { ok: false; why: string } {
  support ??= probe();
  return support;
}

function probe(): { ok: true } | { ok: false; why: string } {
  const listed = spawnSync("iptables", ["-w", "-S", "OUTPUT"], { encoding: "utf8" });
  if (listed.error) return { ok: false, why: "iptables is not installed" };
  if (listed.status !== 0) {
    return { ok: false, why: `iptables refused (${listed.stderr.trim() || "no CAP_NET_ADMIN?"})` };
  }
  return { ok: true };
}

function ruleArgs(port: number): string[] {
  return [
    "OUTPUT",
    ...["-p", "tcp", "-d", "127.0.0.1", "--dport", String(port)],
    // Every sandbox user's, not only this run's: grade-all's jobs must not reach each other's.
    ...["-m", "owner", "--uid-owner", SANDBOX_UIDS],
    ...["-m", "comment", "--comment", "dslab: no sandbox access to the Toxiproxy API"],
    ...["-j", "REJECT", "--reject-with", "tcp-reset"],
  ];
}

/** Adds the rule for the API on `port`; returns its removal. Throws if iptables refuses. */
export function blockApiFromSandbox(port: number): () => void {
  const args = ruleArgs(port);
  const added = spawnSync("iptables", ["-w", "-I", ...args], { encoding: "utf8" });
  if (added.status !== 0) {
    throw new Error(`iptables could not add the Toxiproxy API rule: ${added.stderr.trim()}`);
  }
  const key = JSON.stringify(args);
  active.add(key);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", removeEveryRule);
  }
  return () => {
    if (active.delete(key)) remove(args);
  };
}

function remove(args: string[]): void {
  spawnSync("iptables", ["-w", "-D", ...args], { stdio: "ignore" });
}

/** Synchronous: it runs in the 'exit' handler (a Ctrl-C'ed run stops its servers first). */
function removeEveryRule(): void {
  for (const key of active) remove(JSON.parse(key) as string[]);
  active.clear();
}
