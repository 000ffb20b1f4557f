/**
 * Lab 3's checkers on hand-made traces, both ways: each passes a history a correct cluster
 * could produce and fails the defect it is about, for that reason.
 */
import { describe, expect, it } from "vitest";
import { kvrCheckers } from "../labs/kvr/check/index.ts";
import type { CheckResult } from "../src/check/types.ts";
import type { Trace } from "../src/trace/events.ts";
import { create, get, result, set, success, TraceBuilder } from "./support/trace-builder.ts";

const NODES = ["n1", "n2", "n3"];

function check(property: string, trace: Trace): CheckResult {
  const checker = kvrCheckers.find((c) => c.property === property);
  if (!checker) throw new Error(`lab 3 has no checker ${property}`);
  return checker.check(trace);
}

/** A lab 3 trace: three nodes, each client with a connection to each node. */
function cluster(params: Record<string, unknown> = {}) {
  const b = new TraceBuilder(params, { lab: "kvr", nodes: NODES });
  for (const node of NODES) b.ready(0, 1, node);
  const conns = new Map<string, number>();
  const to = (client: string, node: string): { conn: number } => {
    const key = `${client}-${node}`;
    let conn = conns.get(key);
    if (conn === undefined) {
      conn = b.connTo(client, node, 0);
      conns.set(key, conn);
    }
    return { conn };
  };
  return { b, to };
}

describe("kvr linearizability: one history across all nodes", () => {
  it("passes a write answered by one node and read back through another", () => {
    const { b, to } = cluster();
    b.invoke(10, "c1", create("/a", "1")).send(10, to("c1", "n1")).ok(20);
    b.invoke(30, "c2", get("/a")).send(30, to("c2", "n2")).ok(40, "KV_OK", "1");
    expect(check("linearizability", b.end(50).trace()).verdict).toBe("pass");
  });

  it("fails a retransmission to another node that ran the call again", () => {
    const { b, to } = cluster();
    const op = b.invoke(10, "c1", create("/a", "1")).send(10, to("c1", "n1"));
    op.ok(20);
    // The same xid to n2: a per-node replay cache executes it again.
    op.send(1100, { ...to("c1", "n2"), kind: "retransmit" }).ok(1110, "KV_KEY_EXISTS");
    const r = check("linearizability", b.end(1200).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/two different SUCCESS replies/);
  });

  it("fails a stale read from a node that did not see an acknowledged write", () => {
    const { b, to } = cluster();
    b.invoke(10, "c1", create("/a", "1")).send(10, to("c1", "n1")).ok(20);
    b.invoke(30, "c1", set("/a", "2")).send(30, to("c1", "n1")).ok(40);
    b.invoke(50, "c2", get("/a")).send(50, to("c2", "n3")).ok(60, "KV_OK", "1");
    const r = check("linearizability", b.end(70).trace());
    expect(r.property).toBe("linearizability");
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/GET/);
  });
});

describe("kvr cluster-cookie", () => {
  it("passes every node answering KV_BOOT with the one cookie", () => {
    const { b, to } = cluster();
    for (const [i, node] of NODES.entries()) {
      b.invoke(10 * i, "c1", { proc: "BOOT" })
        .send(10 * i, { ...to("c1", node), cred: { flavor: "AUTH_NONE" } })
        .ok(10 * i + 5, "KV_OK", "77");
    }
    expect(check("cluster-cookie", b.end(100).trace()).verdict).toBe("pass");
  });

  it("fails two nodes with cookies of their own, naming both", () => {
    const { b, to } = cluster();
    b.invoke(10, "c1", { proc: "BOOT" })
      .send(10, { ...to("c1", "n1"), cred: { flavor: "AUTH_NONE" } })
      .ok(15, "KV_OK", "77");
    b.invoke(20, "c2", { proc: "BOOT" })
      .send(20, { ...to("c2", "n2"), cred: { flavor: "AUTH_NONE" } })
      .ok(25, "KV_OK", "78");
    const r = check("cluster-cookie", b.end(30).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/n2 answered cookie 78, but n1 had answered 77/);
  });

  it("fails AUTH_REJECTEDCRED for a call carrying the cluster's cookie", () => {
    const { b, to } = cluster();
    b.invoke(10, "c1", { proc: "BOOT" })
      .send(10, { ...to("c1", "n1"), cred: { flavor: "AUTH_NONE" } })
      .ok(15, "KV_OK", "77");
    b.invoke(20, "c1", get("/a"))
      .send(20, { ...to("c1", "n3"), cred: b.amo("c1", 0, "77") })
      .reply(25, { kind: "auth-error", stat: "AUTH_REJECTEDCRED" });
    const r = check("cluster-cookie", b.end(30).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/n3 answered AUTH_REJECTEDCRED/);
  });
});

describe("kvr termination", () => {
  const healed = (bound = 30_000) => {
    const { b, to } = cluster({ terminationBoundMs: bound });
    b.add({ type: "nemesis.heal", t: 1000 });
    return { b, to };
  };

  it("passes a call sent after the heal and answered within the bound", () => {
    const { b, to } = healed();
    b.invoke(500, "c1", get("/a"))
      .send(500, to("c1", "n3"))
      .send(1500, to("c1", "n1"))
      .ok(2000, "KV_KEY_NOT_FOUND");
    expect(check("termination", b.end(40_000).trace()).verdict).toBe("pass");
  });

  it("fails a call still unanswered at the bound, naming the nodes it was sent to", () => {
    const { b, to } = healed();
    b.invoke(500, "c1", get("/a")).send(1200, to("c1", "n2")).send(2200, to("c1", "n3"));
    const r = check("termination", b.end(40_000).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(
      /to n2, n3, 2 time\(s\)\) and got no reply within 30000 ms/,
    );
  });

  it("does not judge a call whose bound falls after the end of the trace", () => {
    const { b, to } = healed();
    b.invoke(500, "c1", get("/a")).send(1200, to("c1", "n2"));
    expect(check("termination", b.end(5000).trace()).verdict).toBe("unknown");
  });
});

describe("kvr availability", () => {
  const params = { availability: { stableMs: 5000, withinMs: 2000, maxLatencyMs: 50 } };

  it("is skipped where the scenario states no bound", () => {
    const { b, to } = cluster();
    b.invoke(10, "c1", get("/a")).send(10, to("c1", "n1"));
    expect(check("availability", b.end(10_000).trace()).verdict).toBe("skipped");
  });

  it("passes calls to a stable majority answered within the bound", () => {
    const { b, to } = cluster(params);
    b.invoke(2000, "c1", get("/a")).send(2000, to("c1", "n1")).ok(2500, "KV_KEY_NOT_FOUND");
    expect(check("availability", b.end(10_000).trace()).verdict).toBe("pass");
  });

  it("fails a call to a node of a stable majority left unanswered", () => {
    const { b, to } = cluster(params);
    b.fault(0, 1000, 1, { kind: "crash", node: "n3", restartAfterMs: 500 });
    b.invoke(2000, "c1", get("/a"))
      .send(2000, to("c1", "n2"))
      .reply(9000, success(result(get("/a"), "KV_KEY_NOT_FOUND")));
    const r = check("availability", b.end(10_000).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/sent to n2 at 2\.0 s.*no reply within 2000 ms/);
  });

  it("owes nothing to a late duplicate of a call already answered", () => {
    const { b, to } = cluster(params);
    b.fault(0, 1000, 1, { kind: "crash", node: "n3", restartAfterMs: 500 });
    const op = b.invoke(2000, "c1", get("/a")).send(2000, to("c1", "n3"));
    op.ok(2100, "KV_KEY_NOT_FOUND");
    // To n1, of the majority stable since 0 s; the client dropped the connection before any reply.
    op.send(2200, { ...to("c1", "n1"), kind: "duplicate" });
    const r = check("availability", b.end(10_000).trace());
    expect(r.verdict).toBe("pass");
    expect(r.summary).toMatch(/Every one of \d+ call/);
  });
});

describe("kvr wire-conformance: lab 1's wire rules with the cluster's one cookie", () => {
  const booted = () => {
    const c = cluster();
    c.b
      .invoke(10, "c1", { proc: "BOOT" })
      .send(10, { ...c.to("c1", "n1"), cred: { flavor: "AUTH_NONE" } })
      .ok(15, "KV_OK", "77");
    return c;
  };

  it("passes the cluster's cookie accepted by another node after its restart", () => {
    const { b, to } = booted();
    b.kill(20, 1, "n2").ready(30, 2, "n2");
    b.invoke(40, "c1", get("/a"))
      .send(40, { ...to("c1", "n2"), cred: b.amo("c1", 0, "77") })
      .ok(45, "KV_KEY_NOT_FOUND");
    expect(check("wire-conformance", b.end(50).trace()).verdict).toBe("pass");
  });

  /** c1's SET goes to paused n2, its retransmission to n3 is answered; n2 answers later. */
  const lateFirstTransmission = (announce: boolean) => {
    const { b, to } = booted();
    const op = b.invoke(40, "c1", set("/a", "1"));
    op.send(40, { ...to("c1", "n2"), cred: b.amo("c1", 0, "77") });
    op.send(1040, { ...to("c1", "n3"), cred: b.amo("c1", 0, "77") }).ok(1045, "KV_OK", "", 1);
    const xid = op.sent[0]?.xid ?? 0;
    if (announce) {
      b.invoke(1050, "c1", get("/a"))
        .send(1050, { ...to("c1", "n3"), cred: b.amo("c1", xid, "77") })
        .ok(1055, "KV_OK", "1");
    }
    op.reply(2000, { kind: "accepted-error", stat: "SYSTEM_ERR", verifierFlavor: 0 }, 0);
    return b.end(2100).trace();
  };

  it("passes SYSTEM_ERR to a late first transmission once the client acknowledged its xid", () => {
    expect(check("wire-conformance", lateFirstTransmission(true)).verdict).toBe("pass");
  });

  it("fails SYSTEM_ERR to a first transmission the client never acknowledged", () => {
    const r = check("wire-conformance", lateFirstTransmission(false));
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/must get SUCCESS.*but got SYSTEM_ERR/);
  });

  it("fails a node that executes a call carrying another cookie", () => {
    const { b, to } = booted();
    b.invoke(40, "c1", get("/a"))
      .send(40, { ...to("c1", "n3"), cred: b.amo("c1", 0, "78") })
      .ok(45, "KV_KEY_NOT_FOUND");
    const r = check("wire-conformance", b.end(50).trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/must get AUTH_REJECTEDCRED/);
  });
});
