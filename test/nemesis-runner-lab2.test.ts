/**
 * The runner's lab 2 faults, and node faults it must skip, against a fake runtime and a fake
 * network (what they are asked to do and in which order);
 * test/nemesis-runner-partition.test.ts runs partitions for real.
 */
import { describe, expect, it } from "vitest";
import { isolate, partitionBlackholes } from "../src/nemesis/partition.ts";
import type { DecisionReaction, NemesisPlan, Range } from "../src/nemesis/plan.ts";
import { drawReaction, reactionRng, reactionsOf } from "../src/nemesis/reactions.ts";
import { type NemesisRunOptions, runSchedule } from "../src/nemesis/runner.ts";
import type { NemesisEvent, NemesisSkipEvent, ScheduledFault } from "../src/trace/events.ts";
import { FakeNetwork, FakeRuntime, reactionsOnly, until } from "./support/nemesis-fakes.ts";
import { observedTrace } from "./support/observed-trace.ts";

const NODES = ["n1", "n2", "n3", "n4", "n5"];
const LINKS = NODES.flatMap((a) => NODES.filter((b) => b !== a).map((b) => `${a}-${b}`));

/** The run's trace, fake nodes and a fake network. */
function harness() {
  const { events, listeners, now, emit, observe } = observedTrace();
  const runtime = new FakeRuntime();
  const network = new FakeNetwork(LINKS);
  const options: NemesisRunOptions = { network, runtime, emit, now, observe };
  const decide = (node: string, slot: number) =>
    emit({ type: "node.event", t: now(), node, event: { type: "decide", slot, value: "" } });
  /** Every node but `decider` outputs the slot's decision. */
  const othersDecide = (decider: string, slot: number) => {
    for (const node of NODES.filter((n) => n !== decider)) decide(node, slot);
  };
  const nemesis = () =>
    events.filter(
      (e): e is NemesisEvent => e.type === "nemesis.start" || e.type === "nemesis.stop",
    );
  const signs = () => nemesis().map((e) => `${e.type === "nemesis.start" ? "+" : "-"}${e.id}`);
  const skips = () => events.filter((e): e is NemesisSkipEvent => e.type === "nemesis.skip");
  return {
    events,
    runtime,
    network,
    options,
    decide,
    othersDecide,
    nemesis,
    signs,
    skips,
    listeners,
  };
}

const reaction = (
  what: DecisionReaction["do"],
  restartAfterMs: Range,
  maxHoldMs = 30_000,
): DecisionReaction => ({
  on: "decide",
  times: 2,
  do: what,
  restartAfterMs,
  maxHoldMs,
});
/** A lab 2 plan with no scheduled faults, only one reaction, over a window of windowMs. */
const plan = (
  windowMs: number,
  restartAfterMs = { min: 150, max: 250 },
  maxHoldMs = 30_000,
): NemesisPlan =>
  reactionsOnly(windowMs, [reaction("isolate-decider-crash-minority", restartAfterMs, maxHoldMs)]);
const scheduleOpts = { timeScale: 1, links: LINKS, nodes: NODES };

/** The harness, with toxic changes that take cutMs each and show as "cut <link>" calls. */
function harnessWithSlowCuts(cutMs: number) {
  const h = harness();
  const apply = h.network.apply.bind(h.network);
  h.network.apply = async (fault) => {
    await new Promise((resolve) => setTimeout(resolve, cutMs));
    h.runtime.calls.push(`cut ${fault.link}`);
    return apply(fault);
  };
  return h;
}

describe("runner: group faults, partitions, stable periods", () => {
  it("crashes a group together and restarts every node of it, skipping one already down", async () => {
    const h = harness();
    h.runtime.markDown("n3");
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 0,
        durationMs: 100,
        fault: { kind: "crash-group", nodes: ["n1", "n2", "n3"], restartAfterMs: 100 },
      },
      { id: 2, atMs: 200, durationMs: 100, fault: { kind: "pause-group", nodes: ["n4", "n5"] } },
      {
        id: 3,
        atMs: 400,
        durationMs: 100,
        fault: { kind: "crash-group", nodes: ["n3"], restartAfterMs: 50 },
      },
    ];
    const outcome = await runSchedule(schedule, h.options);
    expect(outcome).toEqual({ status: "completed", skipped: [3], nodeFailures: [] });
    expect(h.runtime.calls).toEqual([
      "kill n1",
      "kill n2",
      "restart n1",
      "restart n2",
      "pause n4",
      "pause n5",
      "resume n4",
      "resume n5",
    ]);
    expect(h.signs()).toEqual(["+1", "-1", "+2", "-2"]);
    expect(h.events.at(-1)?.type).toBe("nemesis.heal");
  });

  it("applies a partition's blackholes together and removes them all at its end", async () => {
    const h = harness();
    const cuts = isolate("n2", NODES);
    const schedule: ScheduledFault[] = [
      { id: 1, atMs: 0, durationMs: 100, fault: { kind: "partition", name: "isolate-one", cuts } },
    ];
    await runSchedule(schedule, h.options);
    const expected = partitionBlackholes(cuts, LINKS);
    expect(expected).toHaveLength(16);
    expect(h.network.applied).toEqual(expected);
    expect(h.network.removed).toEqual(expected);
    expect(h.signs()).toEqual(["+1", "-1"]);
  });

  it("traces stable periods, starting one only once earlier faults have ended", async () => {
    const h = harness();
    h.runtime.restartMs = 200;
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 0,
        durationMs: 100,
        fault: { kind: "crash", node: "n1", restartAfterMs: 100 },
      },
      { id: 2, atMs: 100, durationMs: 300, fault: { kind: "stable" } },
    ];
    await runSchedule(schedule, h.options);
    expect(h.signs()).toEqual(["+1", "-1", "+2", "-2"]);
    expect(h.runtime.calls).toEqual(["kill n1", "restart n1"]);
  });

  it("heals a group still down when aborted", async () => {
    const h = harness();
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 0,
        durationMs: 60_000,
        fault: { kind: "crash-group", nodes: NODES, restartAfterMs: 60_000 },
      },
    ];
    const controller = new AbortController();
    const running = runSchedule(schedule, { ...h.options, signal: controller.signal });
    await until("the crash", () => h.runtime.calls.length === 5);
    controller.abort();
    expect((await running).status).toBe("aborted");
    expect(h.runtime.calls.slice(5).sort()).toEqual(NODES.map((n) => `restart ${n}`));
    expect(NODES.every((n) => h.runtime.isUp(n))).toBe(true);
    expect(h.signs()).toEqual(["+1", "-1"]);
  });
});

describe("runner: reactions", () => {
  it("answers a decision with the seeded choices, one firing at a time, `times` times", async () => {
    const h = harness();
    const specs = reactionsOf(7, plan(60_000), scheduleOpts);
    const spec = specs[0];
    if (!spec) throw new Error("no reaction");
    const expectedRng = reactionRng(spec);
    const firstChoices = drawReaction(expectedRng, spec, "n3");
    const secondChoices = drawReaction(expectedRng, spec, "n1");
    const schedule: ScheduledFault[] = [
      { id: 1, atMs: 0, durationMs: 10, fault: { kind: "pause", node: "n5" } },
    ];
    const controller = new AbortController();
    const running = runSchedule(schedule, {
      ...h.options,
      reactions: specs,
      signal: controller.signal,
    });
    await until("the scheduled pause to end", () => h.signs().includes("-1"));

    h.decide("n3", 7);
    h.decide("n4", 8); // while the first firing is in force: ignored
    await until("the crash to end", () => h.signs().includes("-3"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.signs()).not.toContain("-2"); // the others have not decided slot 7 yet
    h.othersDecide("n3", 7);
    await until("the first firing to end", () => h.signs().includes("-2"));
    const starts = h.nemesis().filter((e) => e.type === "nemesis.start" && e.id > 1);
    expect(starts.map((e) => [e.id, e.fault])).toEqual([
      [2, firstChoices.isolation],
      [3, firstChoices.crash],
    ]);
    expect(starts[0]?.endsWhen).toEqual({
      after: 3,
      decidedBy: ["n1", "n2", "n4", "n5"],
      maxHoldMs: 30_000,
    });
    expect(starts[1]?.endsWhen).toBeUndefined();
    const stop = h.nemesis().find((e) => e.type === "nemesis.stop" && e.id === 2);
    expect(stop?.ended).toEqual({ by: "decided" });
    expect(starts[0]?.trigger).toMatchObject({
      reaction: 0,
      firing: 1,
      event: "decide",
      node: "n3",
      slot: 7,
    });
    expect(starts[1]?.trigger).toEqual(starts[0]?.trigger);
    const crashed = firstChoices.crash.nodes;
    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed).not.toContain("n3");
    expect(h.runtime.calls.slice(2)).toEqual([
      ...crashed.map((n) => `kill ${n}`),
      ...crashed.map((n) => `restart ${n}`),
    ]);
    const isolation = partitionBlackholes(isolate("n3", NODES), LINKS);
    expect(h.network.applied).toEqual(isolation);
    expect(h.network.removed).toEqual(isolation);
    // The crashed nodes came back while n3 was still cut off.
    expect(h.signs().slice(2)).toEqual(["+2", "+3", "-3", "-2"]);

    h.decide("n1", 9);
    h.othersDecide("n1", 9); // before the crash has ended: the isolation ends with it
    await until(
      "the second firing to end",
      () => h.signs().filter((s) => s.startsWith("-")).length === 5,
    );
    h.decide("n2", 10); // times: 2, used up
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = h.nemesis().filter((e) => e.type === "nemesis.start" && e.id > 3);
    expect(second.map((e) => [e.id, e.fault])).toEqual([
      [4, secondChoices.isolation],
      [5, secondChoices.crash],
    ]);
    expect(second[0]?.trigger).toMatchObject({ firing: 2, node: "n1", slot: 9 });
    expect(h.signs()).toHaveLength(10);

    controller.abort();
    expect((await running).status).toBe("aborted");
    expect(h.listeners.size).toBe(0);
  });

  it("keeps the decider cut off until every other node has decided, however slow the runtime and the nodes", async () => {
    const h = harness();
    h.runtime.killMs = 200;
    h.runtime.restartMs = 300;
    const specs = reactionsOf(7, plan(60_000), scheduleOpts);
    const controller = new AbortController();
    const running = runSchedule([], { ...h.options, reactions: specs, signal: controller.signal });
    h.decide("n3", 7);
    await until("the crash to end", () => h.signs().includes("-2"));
    // Decisions of another slot, or of the decider itself, do not end it.
    h.othersDecide("n3", 8);
    h.decide("n3", 7);
    for (const node of ["n1", "n2", "n4"]) h.decide(node, 7);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(h.signs()).toEqual(["+1", "+2", "-2"]);
    h.decide("n5", 7);
    await until("the isolation to end", () => h.signs().includes("-1"));
    const at = (type: string, id: number) =>
      h.nemesis().find((e) => e.type === type && e.id === id)?.t ?? Number.NaN;
    // The crash ended once its nodes were ready (kill, downtime, then a slow start).
    expect(at("nemesis.stop", 2) - at("nemesis.start", 2)).toBeGreaterThanOrEqual(490);
    expect(at("nemesis.stop", 1) - at("nemesis.stop", 2)).toBeGreaterThanOrEqual(1_000);
    expect(h.nemesis().find((e) => e.type === "nemesis.stop" && e.id === 1)?.ended).toEqual({
      by: "decided",
    });
    controller.abort();
    await running;
  });

  it("ends the isolation maxHoldMs after the crash if some node never decides, saying who", async () => {
    const h = harness();
    const specs = reactionsOf(7, plan(600, { min: 100, max: 100 }, 300), scheduleOpts);
    const running = runSchedule([], { ...h.options, reactions: specs });
    h.decide("n3", 7);
    h.decide("n1", 7);
    await until("the isolation to end", () => h.signs().includes("-1"));
    const stop = h.nemesis().find((e) => e.type === "nemesis.stop" && e.id === 1);
    const crashStop = h.nemesis().find((e) => e.type === "nemesis.stop" && e.id === 2);
    expect(stop?.ended).toEqual({ by: "max-hold", undecided: ["n2", "n4", "n5"] });
    const heldMs = (stop?.t ?? Number.NaN) - (crashStop?.t ?? Number.NaN);
    expect(heldMs).toBeGreaterThanOrEqual(295);
    expect(heldMs).toBeLessThan(500);
    await running;
  });

  it("ends the isolation when a crashed node fails to restart: nothing more to wait for", async () => {
    const h = harness();
    for (const node of NODES) h.runtime.failingRestarts.add(node);
    const specs = reactionsOf(7, plan(60_000), scheduleOpts);
    const controller = new AbortController();
    const running = runSchedule([], { ...h.options, reactions: specs, signal: controller.signal });
    h.decide("n3", 7);
    await until("the isolation to end", () => h.signs().includes("-1"));
    const stop = h.nemesis().find((e) => e.type === "nemesis.stop" && e.id === 1);
    expect(stop?.ended).toEqual({ by: "restart-failed" });
    controller.abort();
    await running;
  });

  it("crashing every other node: kills first, then the isolation, and nobody back before it is in force", async () => {
    // Slow toxic changes: the restarts must still wait for the isolation.
    const h = harnessWithSlowCuts(120);
    const others: NemesisPlan = {
      ...plan(60_000, { min: 20, max: 20 }),
      reactions: [reaction("isolate-decider-crash-others", { min: 20, max: 20 })],
    };
    const specs = reactionsOf(7, others, scheduleOpts);
    const controller = new AbortController();
    const running = runSchedule([], { ...h.options, reactions: specs, signal: controller.signal });
    h.decide("n3", 1);
    await until("the restarts", () => h.runtime.calls.some((c) => c.startsWith("restart")));
    const calls = h.runtime.calls;
    const kinds = calls.map((c) => c.split(" ")[0]);
    const lastKill = kinds.lastIndexOf("kill");
    const firstCut = kinds.indexOf("cut");
    const lastCut = kinds.lastIndexOf("cut");
    expect(calls.slice(0, lastKill + 1)).toEqual(["n1", "n2", "n4", "n5"].map((n) => `kill ${n}`));
    expect(firstCut).toBeGreaterThan(lastKill);
    expect(kinds.indexOf("restart")).toBeGreaterThan(lastCut);
    // The crash-group (id 2) began before the cut (id 1).
    expect(h.signs().slice(0, 2)).toEqual(["+2", "+1"]);
    controller.abort();
    await running;
  });

  it("crashing a minority: crashes only once the decider is cut off", async () => {
    // Slow toxic changes: a kill racing them is what deadlocks Toxiproxy's proxies.
    const h = harnessWithSlowCuts(50);
    const specs = reactionsOf(7, plan(60_000), scheduleOpts);
    const controller = new AbortController();
    const running = runSchedule([], { ...h.options, reactions: specs, signal: controller.signal });
    h.decide("n3", 1);
    await until("the crash", () => h.runtime.calls.some((c) => c.startsWith("kill")));
    const firstKill = h.runtime.calls.findIndex((c) => c.startsWith("kill"));
    const cuts = h.runtime.calls.filter((c) => c.startsWith("cut"));
    expect(cuts.length).toBeGreaterThan(0);
    expect(h.runtime.calls.slice(0, firstKill)).toEqual(cuts);
    controller.abort();
    await running;
  });

  it("lets the reactions take turns, whatever their order in the plan", async () => {
    const h = harness();
    const short = { min: 10, max: 20 };
    const twoReactions: NemesisPlan = {
      ...plan(60_000),
      reactions: [
        reaction("isolate-decider-crash-minority", short),
        reaction("isolate-decider-crash-others", short),
      ],
    };
    const specs = reactionsOf(7, twoReactions, scheduleOpts);
    const controller = new AbortController();
    const running = runSchedule([], { ...h.options, reactions: specs, signal: controller.signal });
    for (const slot of [1, 2, 3, 4, 5]) {
      const ended = h.signs().length + 4;
      h.decide("n1", slot);
      h.othersDecide("n1", slot);
      if (slot < 5) await until(`firing ${slot} to end`, () => h.signs().length === ended);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const firings = h
      .nemesis()
      .filter((e) => e.type === "nemesis.start" && e.fault.kind === "partition")
      .map((e) => [e.trigger?.reaction, e.trigger?.firing, e.trigger?.slot]);
    expect(firings).toEqual([
      [0, 1, 1],
      [1, 1, 2],
      [0, 2, 3],
      [1, 2, 4],
    ]);
    controller.abort();
    await running;
  });

  it("never fires in a stable period nor on a slot already decided, and heals a firing cut short by the end", async () => {
    const h = harness();
    const specs = reactionsOf(3, plan(60_000, { min: 100, max: 100 }), scheduleOpts);
    const schedule: ScheduledFault[] = [
      { id: 1, atMs: 0, durationMs: 400, fault: { kind: "stable" } },
    ];
    const controller = new AbortController();
    const running = runSchedule(schedule, {
      ...h.options,
      reactions: specs,
      signal: controller.signal,
    });
    await until("the stable period", () => h.signs().includes("+1"));
    h.decide("n2", 1);
    await until("the stable period's end", () => h.signs().includes("-1"));
    // Nodes catching up on slot 1, decided first in the stable period: no window there.
    h.decide("n1", 1);
    h.decide("n3", 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.signs()).toEqual(["+1", "-1"]);
    h.decide("n2", 2);
    await until("the firing", () => h.network.applied.length > 0 && h.runtime.calls.length > 0);
    controller.abort();
    await running;
    const stops = h.nemesis().filter((e) => e.type === "nemesis.stop" && e.id > 1);
    expect(stops.map((e) => e.fault.kind).sort()).toEqual(["crash-group", "partition"]);
    expect(stops.every((e) => e.trigger?.slot === 2)).toBe(true);
    expect(stops.find((e) => e.fault.kind === "partition")?.ended).toEqual({ by: "final-heal" });
    expect(h.network.heals).toBe(1);
    expect(NODES.every((n) => h.runtime.isUp(n))).toBe(true);
  });

  it("stops reacting at the window's end and then completes on its own", async () => {
    const h = harness();
    const specs = reactionsOf(3, plan(300), scheduleOpts);
    const outcome = await runSchedule([], { ...h.options, reactions: specs });
    expect(outcome.status).toBe("completed");
    h.decide("n1", 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.nemesis()).toEqual([]);
    expect(h.events.map((e) => e.type)).toEqual(["nemesis.heal", "node.event"]);
  });

  it("refuses reactions without a way to observe the run", async () => {
    const h = harness();
    const specs = reactionsOf(3, plan(300), scheduleOpts);
    await expect(
      runSchedule([], { ...h.options, observe: undefined, reactions: specs }),
    ).rejects.toThrow(/reactions need options.observe/);
  });
});

describe("runner: node faults skipped because none of their nodes is up", () => {
  it("traces the skip with its reason, never starts it, and completes", async () => {
    const h = harness();
    h.runtime.markDown("n2");
    const crash = { kind: "crash", node: "n2", restartAfterMs: 100 } as const;
    const outcome = await runSchedule(
      [{ id: 1, atMs: 0, durationMs: 100, fault: crash }],
      h.options,
    );
    expect(outcome).toEqual({ status: "completed", skipped: [1], nodeFailures: [] });
    expect(h.skips()).toEqual([
      {
        type: "nemesis.skip",
        t: expect.any(Number),
        id: 1,
        fault: crash,
        reason: "n2 was not up (not crashed by the nemesis: see its node.exit or node.failed)",
      },
    ]);
    expect(h.nemesis()).toEqual([]);
    expect(h.runtime.calls).toEqual([]);
    expect(h.events.at(-1)?.type).toBe("nemesis.heal");
  });

  it("says which crash keeps each node down: not yet restarted, restarting, failed to restart", async () => {
    const h = harness();
    h.runtime.restartMs = 400;
    h.runtime.failingRestarts.add("n2");
    h.runtime.markDown("n4");
    const schedule: ScheduledFault[] = [
      {
        id: 1,
        atMs: 0,
        durationMs: 200,
        fault: { kind: "crash", node: "n1", restartAfterMs: 200 },
      },
      { id: 2, atMs: 100, durationMs: 50, fault: { kind: "pause", node: "n1" } },
      { id: 3, atMs: 400, durationMs: 50, fault: { kind: "pause", node: "n1" } },
      {
        id: 4,
        atMs: 0,
        durationMs: 100,
        fault: { kind: "crash", node: "n2", restartAfterMs: 100 },
      },
      { id: 5, atMs: 700, durationMs: 50, fault: { kind: "pause-group", nodes: ["n2", "n4"] } },
    ];
    const outcome = await runSchedule(schedule, h.options);
    expect(outcome).toEqual({
      status: "completed",
      skipped: [2, 3, 5],
      nodeFailures: ["n2: never became ready"],
    });
    expect(h.skips().map((e) => [e.id, e.reason])).toEqual([
      [2, "n1 was not up (crashed by fault 1, not yet restarted)"],
      [3, "n1 was not up (restarting after fault 1's crash)"],
      [
        5,
        "n2 was not up (its restart after fault 4's crash failed: never became ready); " +
          "n4 was not up (not crashed by the nemesis: see its node.exit or node.failed)",
      ],
    ]);
    expect(h.signs()).toEqual(["+1", "+4", "-4", "-1"]);
  });

  it("still ends a reaction's isolation after its skipped crash would have ended", async () => {
    const h = harness();
    for (const node of ["n1", "n2", "n4", "n5"]) h.runtime.markDown(node);
    const specs = reactionsOf(7, plan(1500, { min: 100, max: 100 }, 200), scheduleOpts);
    const spec = specs[0];
    if (!spec) throw new Error("no reaction");
    const firing = drawReaction(reactionRng(spec), spec, "n3");
    const running = runSchedule([], { ...h.options, reactions: specs });
    h.decide("n3", 1);
    await until("the first isolation to end", () => h.signs().includes("-1"));
    h.decide("n3", 2); // the firing is over: the reaction fires again
    const outcome = await running;
    expect(outcome).toEqual({ status: "completed", skipped: [2, 4], nodeFailures: [] });
    expect(h.signs()).toEqual(["+1", "-1", "+3", "-3"]);
    expect(h.runtime.calls).toEqual([]);
    const [skip] = h.skips();
    expect(skip).toMatchObject({ id: 2, fault: firing.crash, trigger: { node: "n3", slot: 1 } });
    const stop = h.nemesis().find((e) => e.type === "nemesis.stop" && e.id === 1);
    expect(stop?.ended).toMatchObject({ by: "max-hold" });
    const heldMs = (stop?.t ?? Number.NaN) - (skip?.t ?? Number.NaN);
    expect(heldMs).toBeGreaterThanOrEqual(firing.crash.restartAfterMs + 200 - 5);
    expect(heldMs).toBeLessThan(firing.crash.restartAfterMs + 200 + 200);
  });
});
