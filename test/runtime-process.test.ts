import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freePort } from "../src/net/free-port.ts";
import { liveProcessesInGroup } from "../src/runtime/process-group.ts";
import { ProcessRuntime, type ProcessRuntimeOptions } from "../src/runtime/process-runtime.ts";
import type { NodeExit, NodeSpec } from "../src/runtime/types.ts";
import type { TraceEvent } from "../src/trace/events.ts";
import { ECHO_SERVER_SOURCE, echoes } from "./support/echo.ts";

/** Node scripts run as `node -e`: an echo server on DSLAB_PORT that records its starts. */
const ECHO_NODE = `
const fs = require("node:fs");
fs.appendFileSync(process.env.DSLAB_DATA_DIR + "/starts", process.pid + "\\n");
console.log("starting " + process.env.DSLAB_NODE_ID + " peers=" + process.env.DSLAB_PEERS + " tmp=" + process.env.TMPDIR);
console.log(JSON.stringify({ type: "decided", value: 7 }));
console.log(JSON.stringify({ type: "chatter" }));
${ECHO_SERVER_SOURCE}
`;

describe("process runtime", () => {
  let dir: string;
  let events: TraceEvent[];
  let exits: NodeExit[];
  let fatal: string[];
  let runtime: ProcessRuntime | undefined;
  const t0 = performance.now();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dslab-runtime-"));
    events = [];
    exits = [];
    fatal = [];
  });

  afterEach(async () => {
    await runtime?.stopAll();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  function makeRuntime(extra: Partial<ProcessRuntimeOptions> = {}): ProcessRuntime {
    runtime = new ProcessRuntime({
      emit: (e) => events.push(e),
      now: () => performance.now() - t0,
      onUnexpectedExit: (exit) => exits.push(exit),
      onFatal: (reason) => fatal.push(reason),
      eventTypes: ["decided"],
      ...extra,
    });
    return runtime;
  }

  async function spec(script: string, id = "n1"): Promise<NodeSpec> {
    return {
      id,
      argv: [process.execPath, "-e", script],
      cwd: dir,
      env: {},
      port: await freePort(),
      peers: [
        { id: "n2", host: "127.0.0.1", port: 5002 },
        { id: "n3", host: "127.0.0.1", port: 5003 },
      ],
      dataDir: join(dir, "data", id),
      tmpDir: join(dir, "tmp", id),
    };
  }

  const ofType = <T extends TraceEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<TraceEvent, { type: T }> => e.type === type);

  it("starts a node with the contract's environment, waits for readiness and splits output", async () => {
    const rt = makeRuntime();
    const node = await spec(ECHO_NODE);
    expect(await rt.start(node)).toEqual({ ok: true });
    expect(rt.isUp("n1")).toBe(true);
    expect(await echoes(`127.0.0.1:${node.port}`, 2000)).toBe(true);
    await rt.stopAll();
    const lifecycle = events
      .map((e) => e.type)
      .filter((type) => type !== "node.log" && type !== "node.event");
    expect(lifecycle).toEqual(["node.start", "node.ready", "node.kill", "node.exit"]);
    const logs = ofType("node.log").map((e) => e.line);
    expect(logs).toContain(
      `starting n1 peers=n2=127.0.0.1:5002,n3=127.0.0.1:5003 tmp=${join(dir, "tmp", "n1")}`,
    );
    // A lab event becomes node.event; a JSON line of another type stays a log line.
    expect(ofType("node.event").map((e) => e.event)).toEqual([{ type: "decided", value: 7 }]);
    expect(logs).toContain('{"type":"chatter"}');
    expect(ofType("node.exit")).toMatchObject([{ expected: true, signal: "SIGKILL" }]);
    expect(exits).toEqual([]);
  });

  it("kills the whole process group, and restarts on the same port and data dir", async () => {
    const rt = makeRuntime();
    // The node forks a helper into its group; the kill must take it too.
    const node = await spec(
      `require("node:child_process").spawn("sleep", ["60"], { stdio: "ignore" });\n${ECHO_NODE}`,
    );
    await rt.start(node);
    const first = ofType("node.start")[0];
    expect(first).toBeDefined();
    const pgid = first?.pid ?? 0;
    await rt.kill("n1");
    expect(rt.isUp("n1")).toBe(false);
    expect(await liveProcessesInGroup(pgid)).toEqual([]);
    expect(await echoes(`127.0.0.1:${node.port}`, 500)).toBe(false);

    expect(await rt.restart("n1")).toEqual({ ok: true });
    expect(await echoes(`127.0.0.1:${node.port}`, 2000)).toBe(true);
    const starts = ofType("node.start");
    expect(starts.map((s) => [s.incarnation, s.port, s.dataDir])).toEqual([
      [1, node.port, node.dataDir],
      [2, node.port, node.dataDir],
    ]);
    const recorded = (await readFile(join(node.dataDir, "starts"), "utf8")).trim().split("\n");
    expect(recorded).toHaveLength(2);
    expect(ofType("node.kill").map((e) => e.incarnation)).toEqual([1]);
  });

  it("a node being killed is no longer up, and a second kill joins the first", async () => {
    const rt = makeRuntime();
    await rt.start(await spec(ECHO_NODE));
    const first = rt.kill("n1");
    expect(rt.isUp("n1")).toBe(false);
    await Promise.all([first, rt.kill("n1")]);
    expect(ofType("node.kill")).toHaveLength(1);
    expect(ofType("node.exit")).toMatchObject([{ incarnation: 1, expected: true }]);
  });

  it("two restarts asked for at once make one new incarnation, not a race", async () => {
    const rt = makeRuntime();
    const node = await spec(ECHO_NODE);
    await rt.start(node);
    const results = await Promise.all([rt.restart("n1"), rt.restart("n1")]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(ofType("node.start").map((e) => e.incarnation)).toEqual([1, 2]);
    expect(ofType("node.failed")).toEqual([]);
    expect(await echoes(`127.0.0.1:${node.port}`, 2000)).toBe(true);
  });

  it("credits every output line to the incarnation that printed it", async () => {
    const rt = makeRuntime();
    await rt.start(await spec(`console.log("boot " + process.pid);\n${ECHO_NODE}`));
    await rt.restart("n1");
    await rt.restart("n1");
    await rt.stopAll();
    // Each incarnation's boot line comes after its own node.start and names its own pid.
    let pid = 0;
    const boots: number[] = [];
    for (const event of events) {
      if (event.type === "node.start") pid = event.pid;
      if (event.type === "node.log" && event.line.startsWith("boot ")) {
        expect(event.line).toBe(`boot ${pid}`);
        boots.push(pid);
      }
    }
    expect(boots).toHaveLength(3);
  });

  it("a paused node does not answer; resumed, it does", async () => {
    const rt = makeRuntime();
    const node = await spec(ECHO_NODE);
    await rt.start(node);
    await rt.pause("n1");
    expect(rt.isPaused("n1")).toBe(true);
    expect(await echoes(`127.0.0.1:${node.port}`, 700)).toBe(false);
    await rt.resume("n1");
    expect(await echoes(`127.0.0.1:${node.port}`, 3000)).toBe(true);
    const pauses = events.filter((e) => e.type === "node.pause" || e.type === "node.resume");
    expect(pauses.map((e) => e.type)).toEqual(["node.pause", "node.resume"]);
  });

  it("caps a flooding node's logs at the budget and counts the rest in one summary", async () => {
    const rt = makeRuntime({ limits: { logBudgetBytes: 10_000, maxLineBytes: 200 } });
    const flood = `for (let i = 0; i < 2000; i++) console.log("x".repeat(99));
console.log("y".repeat(1000));
${ECHO_NODE}`;
    await rt.start(await spec(flood));
    // The node may still be writing when ready: its lab event comes after the flood.
    await vi.waitFor(() => expect(ofType("node.event")).toHaveLength(1));
    await rt.stopAll();
    const logs = ofType("node.log");
    // The budget counts whole trace lines (runtime-log-flood.test.ts tests it in detail).
    const keptBytes = logs.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
    expect(keptBytes).toBeLessThanOrEqual(10_000);
    expect(logs.length).toBeGreaterThan(40);
    const dropped = ofType("node.log.dropped");
    expect(dropped).toHaveLength(1);
    // 2000 flood lines + the long line + the node's own log lines, minus what was kept.
    expect(dropped[0]?.lines).toBe(2000 + 1 + 2 - logs.length);
    // The event still came through after the budget was spent.
    expect(ofType("node.event")).toHaveLength(1);
  });

  it("marks an over-long line as truncated", async () => {
    const rt = makeRuntime({ limits: { maxLineBytes: 100 } });
    await rt.start(await spec(`console.log("z".repeat(1000));\n${ECHO_NODE}`));
    await rt.stopAll();
    const line = ofType("node.log")[0]?.line ?? "";
    expect(line).toBe(`${"z".repeat(100)} [line truncated: 1000 bytes]`);
  });

  it("fails the run when a node prints more events than the limit", async () => {
    const rt = makeRuntime({ limits: { maxEvents: 5 } });
    const chatty = `for (let i = 0; i < 10; i++) console.log(JSON.stringify({ type: "decided", i }));
${ECHO_NODE}`;
    await rt.start(await spec(chatty));
    await rt.stopAll();
    expect(ofType("node.event")).toHaveLength(5);
    expect(fatal).toHaveLength(1);
    expect(rt.fatalReason).toMatch(/node n1 printed more than 5 events/);
  });

  it("reports a node that never listens, with the reason and its last output", async () => {
    const rt = makeRuntime({ startupTimeoutMs: 800 });
    const result = await rt.start(
      await spec(`console.error("warming up forever"); setInterval(() => {}, 1000);`),
    );
    expect(result.ok).toBe(false);
    const failed = ofType("node.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toMatch(
      /never listened on port \d+ within the startup limit of 0.8 s/,
    );
    expect(failed[0]?.reason).toContain("warming up forever");
    expect(rt.isUp("n1")).toBe(false);
  });

  it("reports a node that exits at once with its exit code and last log lines", async () => {
    const rt = makeRuntime();
    const result = await rt.start(
      await spec(`console.error("fatal: cannot open kvstore.db"); process.exit(3);`),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/exited before it was ready \(exit code 3\)/);
      expect(result.reason).toContain("fatal: cannot open kvstore.db");
    }
    expect(ofType("node.exit")).toMatchObject([{ code: 3, expected: false }]);
    expect(exits).toMatchObject([{ node: "n1", code: 3, expected: false }]);
  });

  it("reports a node that cannot be spawned", async () => {
    const rt = makeRuntime();
    const node = { ...(await spec("")), argv: [join(dir, "no-such-server")] };
    const result = await rt.start(node);
    expect(result.ok).toBe(false);
    expect(ofType("node.failed")[0]?.reason).toMatch(/could not start .*ENOENT/);
  });

  it("refuses to start on a port another process already listens on", async () => {
    const rt = makeRuntime();
    const node = await spec(ECHO_NODE);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(node.port, "127.0.0.1", resolve));
    try {
      const result = await rt.start(node);
      expect(result.ok).toBe(false);
      expect(ofType("node.failed")[0]?.reason).toMatch(/port \d+ is already in use/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("samples the resident memory of the node's process group", async () => {
    const rt = makeRuntime();
    await rt.start(await spec(ECHO_NODE));
    const rssKiB = await rt.sampleMemory("n1");
    expect(rssKiB).toBeGreaterThan(1000);
    expect(ofType("node.memory")).toMatchObject([{ node: "n1", rssKiB }]);
  });

  it("samples memory periodically when asked to", async () => {
    const rt = makeRuntime({ memorySampleIntervalMs: 100 });
    await rt.start(await spec(ECHO_NODE));
    await new Promise((resolve) => setTimeout(resolve, 450));
    await rt.stopAll();
    const samples = ofType("node.memory");
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.every((e) => e.rssKiB > 0)).toBe(true);
  });

  it("reports a node that dies on its own after it was ready", async () => {
    const rt = makeRuntime();
    await rt.start(
      await spec(`${ECHO_NODE}
setTimeout(() => process.exit(5), 300);`),
    );
    const deadline = Date.now() + 5_000;
    while (exits.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(exits).toMatchObject([{ node: "n1", incarnation: 1, code: 5, expected: false }]);
    expect(rt.isUp("n1")).toBe(false);
  });
});
