/**
 * Partitions for real: three "nodes" (servers that greet each connection and record what
 * they receive) behind a toxiproxy-server proxy per link; the runner cuts exactly the
 * directions a partition names, on connections opened by either side, and heals them.
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSchedule } from "../src/nemesis/runner.ts";
import {
  type AppliedFault,
  FaultNetwork,
  type LinkFault,
  type LinkFaultTarget,
} from "../src/net/fault-network.ts";
import { startToxiproxyServer, type ToxiproxyServer } from "../src/net/toxiproxy-server.ts";
import type { NodeRuntime } from "../src/runtime/types.ts";
import type { ScheduledFault, TraceEvent } from "../src/trace/events.ts";
import { echoes } from "./support/echo.ts";

const NODES = ["n1", "n2", "n3"];
const LINKS = [
  ...NODES.flatMap((a) => NODES.filter((b) => b !== a).map((b) => `${a}-${b}`)),
  ...NODES.map((n) => `c1-${n}`),
];

/** What got through on a link: the dialer's bytes (up) and the dialed side's greeting (down). */
interface Passage {
  up: boolean;
  down: boolean;
}

/** Partitions never touch nodes: a runtime that must not be called. */
const noRuntime = new Proxy({} as NodeRuntime, {
  get(_, name) {
    throw new Error(`the runtime was asked for ${String(name)}`);
  },
});

describe("partitions over a real toxiproxy-server", () => {
  let toxiproxy: ToxiproxyServer;
  let network: FaultNetwork;
  const servers: Server[] = [];
  /** Every tag a node's server has received. */
  const received = new Set<string>();
  let round = 0;

  beforeAll(async () => {
    toxiproxy = await startToxiproxyServer();
    network = new FaultNetwork(toxiproxy.apiUrl);
    for (const node of NODES) {
      const server = createServer((socket) => {
        socket.on("error", () => undefined);
        socket.write("hi");
        socket.on("data", (data) => {
          for (const tag of data.toString().split("\n")) if (tag) received.add(`${node}:${tag}`);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      for (const link of LINKS.filter((l) => l.endsWith(`-${node}`))) {
        await network.addLink(link, `127.0.0.1:${port}`);
      }
    }
  });

  afterAll(async () => {
    await network?.destroy();
    await toxiproxy?.stop();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** Dials every link at once; waits up to waitMs for greetings and for tags to arrive. */
  async function probeAll(waitMs = 2_500): Promise<Record<string, Passage>> {
    round += 1;
    // A greeting back means the downstream direction is open; the tag shows the upstream.
    const greeted = await Promise.all(
      LINKS.map((link) => echoes(network.listenAddress(link), waitMs, `${link}#${round}\n`)),
    );
    // Up to waitMs more for tags still on their way (an open link delivers in ms).
    const deadline = performance.now() + waitMs;
    const arrived = (link: string) => received.has(`${link.split("-")[1]}:${link}#${round}`);
    while (performance.now() < deadline && !LINKS.every(arrived)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Object.fromEntries(
      LINKS.map((link, i) => [link, { up: arrived(link), down: greeted[i] === true }]),
    );
  }

  const allOpen = () => Object.fromEntries(LINKS.map((l) => [l, { up: true, down: true }]));

  /** The real network, counting what the runner applies and removes. */
  function counting(): LinkFaultTarget & { applied: LinkFault[]; removed: LinkFault[] } {
    const applied: LinkFault[] = [];
    const removed: LinkFault[] = [];
    return {
      applied,
      removed,
      apply: async (fault: LinkFault) => {
        const done = await network.apply(fault);
        applied.push(fault);
        return done;
      },
      remove: async (done: AppliedFault) => {
        await network.remove(done);
        removed.push(done.fault);
      },
      healAll: () => network.healAll(),
      links: () => network.links(),
    };
  }

  it("blackholes exactly the cut directions while in force, and heals them", async () => {
    expect(await probeAll()).toEqual(allOpen());

    const events: TraceEvent[] = [];
    const t0 = performance.now();
    const target = counting();
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 0,
        durationMs: 60_000,
        fault: {
          kind: "partition",
          name: "test",
          // n1 cannot reach n2; the client and n3 cannot reach each other.
          cuts: [
            ["n1", "n2"],
            ["c1", "n3"],
            ["n3", "c1"],
          ],
        },
      },
    ];
    const controller = new AbortController();
    const running = runSchedule(schedule, {
      network: target,
      runtime: noRuntime,
      emit: (e) => events.push(e),
      now: () => performance.now() - t0,
      signal: controller.signal,
    });
    const deadline = performance.now() + 10_000;
    while (target.applied.length < 4 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(target.applied).toHaveLength(4);

    expect(await probeAll()).toEqual({
      ...allOpen(),
      // n1's bytes to n2 are dropped on n1's connections to n2...
      "n1-n2": { up: false, down: true },
      // ...and on n2's connections to n1, where n1 is the one answering.
      "n2-n1": { up: true, down: false },
      "c1-n3": { up: false, down: false },
    });

    controller.abort();
    expect((await running).status).toBe("aborted");
    expect(events.map((e) => e.type)).toEqual(["nemesis.start", "nemesis.stop", "nemesis.heal"]);
    expect(await probeAll()).toEqual(allOpen());
  });

  it("removes each of its blackholes when it ends on schedule", async () => {
    const target = counting();
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 0,
        durationMs: 200,
        fault: {
          kind: "partition",
          name: "one-way",
          cuts: [
            ["n2", "n1"],
            ["n2", "n3"],
          ],
        },
      },
    ];
    const t0 = performance.now();
    await runSchedule(schedule, {
      network: target,
      runtime: noRuntime,
      emit: () => undefined,
      now: () => performance.now() - t0,
    });
    const streams = (faults: LinkFault[]) =>
      faults.map((f) => `${f.link} ${"direction" in f ? f.direction : ""}`).sort();
    expect(streams(target.applied)).toEqual([
      "n1-n2 downstream",
      "n2-n1 upstream",
      "n2-n3 upstream",
      "n3-n2 downstream",
    ]);
    expect(streams(target.removed)).toEqual(streams(target.applied));
    expect(await probeAll()).toEqual(allOpen());
  });
});
