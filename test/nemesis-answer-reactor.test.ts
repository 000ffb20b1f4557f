/**
 * Lab 3's answer reaction against a fake network: a SUCCESS reply to one of the reaction's
 * procedures cuts the answering node off from every other node, its trigger names the reply,
 * one firing at a time, `times` times; other replies do not fire it.
 */
import { describe, expect, it } from "vitest";
import { isolate, partitionBlackholes } from "../src/nemesis/partition.ts";
import type { NemesisPlan } from "../src/nemesis/plan.ts";
import { reactionsOf } from "../src/nemesis/reactions.ts";
import { runSchedule } from "../src/nemesis/runner.ts";
import type { ReplyOutcome } from "../src/rpc/reply-outcome.ts";
import type { NemesisEvent } from "../src/trace/events.ts";
import { FakeNetwork, FakeRuntime, reactionsOnly, until } from "./support/nemesis-fakes.ts";
import { observedTrace } from "./support/observed-trace.ts";

const NODES = ["n1", "n2", "n3"];
const LINKS = [
  ...NODES.flatMap((a) => NODES.filter((b) => b !== a).map((b) => `${a}-${b}`)),
  ...NODES.map((n) => `c1-${n}`),
];
const WRITE = 3;
const READ = 4;

const plan = (times: number): NemesisPlan =>
  reactionsOnly(60_000, [
    {
      on: "reply",
      procs: [1, 2, WRITE],
      times,
      do: "isolate-answerer",
      holdMs: { min: 50, max: 50 },
    },
  ]);

function harness(times: number) {
  const { events, now, emit, observe } = observedTrace();
  const network = new FakeNetwork(LINKS);
  const specs = reactionsOf(3, plan(times), { timeScale: 1, links: LINKS, nodes: NODES });
  const controller = new AbortController();
  const running = runSchedule([], {
    network,
    runtime: new FakeRuntime(),
    emit,
    now,
    observe,
    reactions: specs,
    signal: controller.signal,
  });
  let conn = 0;
  let xid = 0;
  /** c1 calls `proc` on `node` and gets `outcome`. */
  const call = (node: string, proc: number, outcome: ReplyOutcome) => {
    conn += 1;
    xid += 1;
    emit({ type: "conn.open", t: now(), conn, client: "c1", link: `c1-${node}` });
    emit({
      type: "rpc.send",
      t: now(),
      conn,
      xid,
      kind: "first",
      prog: 0x20000001,
      vers: 1,
      proc,
      cred: { flavor: "AUTH_NONE" },
      bytes: 40,
    });
    emit({ type: "rpc.reply", t: now(), conn, xid, outcome, bytes: 28 });
    return { conn, xid };
  };
  const starts = () =>
    events.filter((e): e is NemesisEvent => e.type === "nemesis.start" && !!e.trigger);
  const stops = () => events.filter((e) => e.type === "nemesis.stop");
  const finish = async () => {
    controller.abort();
    await running;
  };
  return { network, call, starts, stops, finish };
}

const ok: ReplyOutcome = {
  kind: "success",
  result: { proc: "SET", status: "KV_OK" },
  verifierFlavor: 0,
};
const refused: ReplyOutcome = { kind: "accepted-error", stat: "SYSTEM_ERR", verifierFlavor: 0 };

describe("answer reaction", () => {
  it("cuts off the node that answered a write, naming the reply, then heals it", async () => {
    const h = harness(1);
    const reply = h.call("n2", WRITE, ok);
    await until("the isolation to start", () => h.starts().length === 1);
    const [start] = h.starts();
    expect(start?.trigger).toMatchObject({ event: "reply", node: "n2", ...reply, firing: 1 });
    expect(start?.fault).toEqual({
      kind: "partition",
      name: "isolate-one",
      cuts: isolate("n2", NODES),
    });
    expect(h.network.applied).toEqual(partitionBlackholes(isolate("n2", NODES), LINKS));
    await until("the hold to end", () => h.stops().length === 1);
    await h.finish();
  });

  it("does not fire on reads, refusals, or while a firing is in force, and stops after `times`", async () => {
    const h = harness(2);
    h.call("n1", READ, ok);
    h.call("n1", WRITE, refused);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.starts()).toEqual([]);
    h.call("n1", WRITE, ok);
    h.call("n3", WRITE, ok); // the first firing is in force
    await until("the first hold to end", () => h.stops().length === 1);
    h.call("n3", WRITE, ok);
    await until("the second firing", () => h.starts().length === 2);
    await until("the second hold to end", () => h.stops().length === 2);
    h.call("n2", WRITE, ok);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.starts().map((s) => s.trigger?.node)).toEqual(["n1", "n3"]);
    await h.finish();
  });
});
