/** `dslab doctor`: every requirement is checked and a missing one comes with its fix. */
import { describe, expect, it } from "vitest";
import {
  type DoctorCheck,
  type DoctorNeed,
  doctorPasses,
  formatDoctor,
  runDoctor,
} from "../src/doctor/doctor.ts";

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
      "protection: cgroups",
      "protection: sandbox user",
      "protection: firewall",
      "protection: fault-network verification",
    ]) {
      expect(
        names.some((name) => name.startsWith(needed)),
        needed,
      ).toBe(true);
    }
    for (const check of checks) expect(check.fix.length, check.what).toBeGreaterThan(0);
  });

  const check = (what: string, ok: boolean, need: DoctorNeed = "required"): DoctorCheck => ({
    what,
    need,
    ok,
    detail: ok ? "present" : "missing",
    fix: `fix for ${what}`,
  });

  it("says the default runtime, and that docker is available only when all it needs is", () => {
    const all = [
      check("docker engine", true, "docker"),
      check("docker firewall (iptables, as root)", true, "docker"),
      check("image dslab/runtime:1", true, "docker"),
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

  it("fails only on what is required, and on docker's needs only when docker is asked for", () => {
    const present = [
      check("Node >= 22.18", true),
      check("docker engine", true, "docker"),
      check("chromium (trace viewer screenshots)", true, "optional"),
    ];
    const without = (what: string) =>
      present.map((c) => (c.what.startsWith(what) ? { ...c, ok: false } : c));
    expect(doctorPasses(present, "process")).toBe(true);
    // A missing chromium is reported as absent, under its own heading, and fails nothing.
    expect(doctorPasses(without("chromium"), "process")).toBe(true);
    expect(doctorPasses(without("chromium"), "docker")).toBe(true);
    expect(formatDoctor(without("chromium"))).toMatch(
      /optional:\n\s+absent\s+chromium \(trace viewer screenshots\)\s+fix: /,
    );
    expect(doctorPasses(without("docker engine"), "process")).toBe(true);
    expect(doctorPasses(without("docker engine"), "docker")).toBe(false);
    expect(doctorPasses(without("Node"), "process")).toBe(false);
    expect(formatDoctor(without("Node"))).toMatch(/required[^\n]*:\n\s+MISSING Node/);
  });

  it("classifies every check: chromium and offline builds optional, docker's own under docker", async () => {
    const checks = await runDoctor();
    const needOf = (prefix: string) => checks.find((c) => c.what.startsWith(prefix))?.need;
    expect(needOf("chromium")).toBe("optional");
    expect(needOf("offline builds")).toBe("optional");
    expect(needOf("docker engine")).toBe("docker");
    expect(needOf("image dslab/runtime:1")).toBe("docker");
    expect(needOf("toxiproxy-server")).toBe("required");
    expect(needOf("gcc")).toBe("required");
  });
});
