/** `dslab doctor`: every requirement is checked and a missing one comes with its fix. */
import { describe, expect, it } from "vitest";
import { type DoctorCheck, formatDoctor, runDoctor } from "../src/doctor/doctor.ts";

describe("dslab doctor", () => {
  it("checks what both runtimes and the toolchain need, each with a fix", async () => {
    const checks = await runDoctor();
    const names = checks.map((c) => c.what);
    for (const needed of [
      "Node",
      "toxiproxy-server",
      "docker engine",
      "docker firewall",
      "image ghcr.io/shopify/toxiproxy:2.12.0",
      "image dslab/runtime:1",
      "offline builds",
      "gcc",
      "rpcgen",
      "libtirpc",
    ]) {
      expect(
        names.some((name) => name.startsWith(needed)),
        needed,
      ).toBe(true);
    }
    for (const check of checks) expect(check.fix.length, check.what).toBeGreaterThan(0);
  });

  const check = (what: string, ok: boolean): DoctorCheck => ({
    what,
    ok,
    detail: ok ? "present" : "missing",
    fix: `fix for ${what}`,
  });

  it("says the default runtime, and that docker is available only when all it needs is", () => {
    const all = [
      check("docker engine", true),
      check("docker firewall (iptables, as root)", true),
      check("image dslab/runtime:1", true),
      check("gcc", true),
    ];
    expect(formatDoctor(all)).toContain("default runtime: process (--runtime docker is available)");
    const noFirewall = all.map((c) =>
      c.what.startsWith("docker firewall") ? { ...c, ok: false } : c,
    );
    const text = formatDoctor(noFirewall);
    expect(text).toContain("--runtime docker is not available");
    expect(text).toMatch(
      /MISSING docker firewall \(iptables, as root\)\s+fix: fix for docker firewall/,
    );
  });
});
