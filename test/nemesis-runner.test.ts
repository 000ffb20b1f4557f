import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runSchedule } from "../src/nemesis/runner.ts";
import { FaultNetwork } from "../src/net/fault-network.ts";
import { freePort } from "../src/net/free-port.ts";
import { startToxiproxyServer, type ToxiproxyServer } from "../src/net/toxiproxy-server.ts";
import { ProcessRuntime } from "../src/runtime/process-runtime.ts";
import type { NemesisEvent, ScheduledFault, TraceEvent } from "../src/trace/events.ts";
import { ECHO_SERVER_SOURCE, echoes } from "./support/echo.ts";

const isNemesis = (e: TraceEvent): e is NemesisEvent =>
  e.type === "nemesis.start" || e.type === "nemesis.stop";
const stoppedIds = (events: TraceEvent[]) =>
  events.filter(isNemesis).flatMap((e) => (e.type === "nemesis.stop" ? [e.id] : []));

describe("nemesis runner against a real toxiproxy-server and a real node", () => {
  const link = "client-c1-n1";
  let toxiproxy: ToxiproxyServer;
  let dir: string;
  let network: FaultNetwork;
  let runtime: ProcessRuntime;
  let proxied: string;
  let events: TraceEvent[];
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const emit = (e: TraceEvent) => events.push(e);

  beforeAll(async () => {
    toxiproxy = await startToxiproxyServer();
    dir = await mkdtemp(join(tmpdir(), "dslab-nemesis-"));
  });

  afterAll(async () => {
    await toxiproxy?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    events = [];
    runtime = new ProcessRuntime({ emit, now });
    const port = await freePort();
    const started = await runtime.start({
      id: "n1",
      argv: [process.execPath, "-e", ECHO_SERVER_SOURCE],
      cwd: dir,
      env: {},
      port,
      peers: [],
      dataDir: join(dir, "data"),
      tmpDir: join(dir, "tmp"),
    });
    expect(started.ok).toBe(true);
    network = new FaultNetwork(toxiproxy.apiUrl);
    proxied = await network.addLink(link, `127.0.0.1:${port}`);
  });

  afterEach(async () => {
    await network.destroy();
    await runtime.stopAll();
  });

  it("runs overlapping faults at their times and ends healed", async () => {
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 100,
        durationMs: 1200,
        fault: { kind: "latency", link, direction: "downstream", latencyMs: 50, jitterMs: 0 },
      },
      { id: 2, atMs: 200, durationMs: 300, fault: { kind: "pause", node: "n1" } },
      {
        id: 3,
        atMs: 700,
        durationMs: 400,
        fault: { kind: "crash", node: "n1", restartAfterMs: 400 },
      },
      { id: 4, atMs: 900, durationMs: 200, fault: { kind: "link-down", link } },
    ];
    const startAtMs = now();
    const outcome = await runSchedule(schedule, { network, runtime, emit, now, startAtMs });
    expect(outcome).toEqual({ status: "completed", skipped: [], nodeFailures: [] });

    const nemesis = events.filter(isNemesis);
    expect(nemesis.map((e) => `${e.type === "nemesis.start" ? "+" : "-"}${e.id}`)).toEqual([
      "+1",
      "+2",
      "-2",
      "+3",
      "+4",
      "-4",
      "-3",
      "-1",
    ]);
    // Each start at (not before) its scheduled time; generous upper bound only.
    for (const s of schedule) {
      const start = nemesis.find((e) => e.type === "nemesis.start" && e.id === s.id);
      expect(start?.t).toBeGreaterThanOrEqual(startAtMs + s.atMs - 5);
      expect(start?.t).toBeLessThan(startAtMs + s.atMs + 1000);
    }
    // The crash killed incarnation 1 and its end brought incarnation 2 up before nemesis.stop.
    const order = events
      .filter((e) => ["node.kill", "node.ready", "nemesis.stop"].includes(e.type))
      .map((e) => (isNemesis(e) ? `stop${e.id}` : e.type));
    expect(order.indexOf("node.kill")).toBeLessThan(order.lastIndexOf("node.ready"));
    expect(order.lastIndexOf("node.ready")).toBeLessThan(order.indexOf("stop3"));
    expect(events.filter((e) => e.type === "node.start").map((e) => e.incarnation)).toEqual([1, 2]);
    // Healed: the node is up and not paused, and traffic flows through the proxy.
    expect(runtime.isUp("n1")).toBe(true);
    expect(runtime.isPaused("n1")).toBe(false);
    expect(await echoes(proxied, 2000)).toBe(true);
  });

  it("stops early on abort, and still heals what was in force", async () => {
    const schedule: ScheduledFault[] = [
      { id: 1, atMs: 50, durationMs: 60_000, fault: { kind: "link-down", link } },
      { id: 2, atMs: 50, durationMs: 60_000, fault: { kind: "pause", node: "n1" } },
      {
        id: 3,
        atMs: 30_000,
        durationMs: 1_000,
        fault: { kind: "crash", node: "n1", restartAfterMs: 1_000 },
      },
    ];
    const controller = new AbortController();
    const running = runSchedule(schedule, {
      network,
      runtime,
      emit,
      now,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await echoes(proxied, 300)).toBe(false);
    const abortedAt = now();
    controller.abort();
    const outcome = await running;
    expect(outcome.status).toBe("aborted");
    expect(now() - abortedAt).toBeLessThan(5_000);
    expect(stoppedIds(events).sort()).toEqual([1, 2]);
    expect(events.filter(isNemesis).some((e) => e.id === 3)).toBe(false);
    expect(runtime.isPaused("n1")).toBe(false);
    expect(await echoes(proxied, 2000)).toBe(true);
  });

  it("fails with the fault named when a step cannot run, after healing", async () => {
    const schedule: ScheduledFault[] = [
      { id: 1, atMs: 0, durationMs: 5_000, fault: { kind: "link-down", link } },
      {
        id: 2,
        atMs: 100,
        durationMs: 100,
        fault: { kind: "blackhole", link: "nowhere", direction: "upstream" },
      },
    ];
    await expect(runSchedule(schedule, { network, runtime, emit, now })).rejects.toThrow(
      /could not start fault 2 \(blackhole upstream on nowhere\).*unknown link nowhere/,
    );
    expect(stoppedIds(events)).toEqual([1]);
    expect(await echoes(proxied, 2000)).toBe(true);
  });
});
