import { describe, expect, it } from "vitest";
import { checkAgreement } from "../labs/consensus/check/agreement.ts";
import { checkIntegrity } from "../labs/consensus/check/integrity.ts";
import { checkOutputFormat } from "../labs/consensus/check/output-format.ts";
import { checkValidity } from "../labs/consensus/check/validity.ts";
import { isPaddedBase64, slotKey } from "../labs/consensus/check/values.ts";
import { compactValue } from "../src/trace/compact-values.ts";
import { b64, ConsensusTraceBuilder, consSuccess } from "./support/consensus-trace-builder.ts";

const fresh = () => new ConsensusTraceBuilder().boot(0);

/** Index of the first event matching, for evidence assertions. */
const indexOf = (b: ConsensusTraceBuilder, match: (e: { type: string; t: number }) => boolean) =>
  b.trace().events.findIndex(match);

describe("slots and values", () => {
  it("canonicalizes slots from calls and decide lines alike", () => {
    expect(slotKey("0042")).toBe("42");
    expect(slotKey(42)).toBe("42");
    expect(slotKey("18446744073709551615")).toBe("18446744073709551615");
    expect([slotKey(-1), slotKey(1.5), slotKey("4x"), slotKey(2 ** 53)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("accepts only canonical padded base64", () => {
    expect(["", "YQ==", "YWI=", "YWJj", b64("\u0000\u00ff")].every(isPaddedBase64)).toBe(true);
    expect(["YQ", "YR==", "Y Q==", "YQ==\n", "-_8="].some(isPaddedBase64)).toBe(false);
  });
});

describe("agreement", () => {
  it("passes when lines and answers agree across a restart", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11);
    b.decideEverywhere(20, 1, b64("a"));
    b.kill(30, "n2").start(40, "n2").decide(41, "n2", 1, b64("a"));
    expect(checkAgreement(b.trace()).verdict).toBe("pass");
  });

  it("fails on a TRUE answer that differs from another node's line, showing both outputs", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11).propose(10, "n2", 1, b64("b"), 11);
    b.decide(20, "n1", 1, b64("a"));
    b.query(30, "n2", 1, 31, b64("b"));
    const r = checkAgreement(b.trace());
    expect(r.verdict).toBe("fail");
    const line = indexOf(b, (e) => e.type === "node.event");
    const reply = indexOf(b, (e) => e.type === "rpc.reply" && e.t === 31);
    expect(r.evidence).toEqual([
      expect.objectContaining({ events: [line, reply], ops: [b.lastOp] }),
    ]);
    expect(r.evidence[0]?.message).toContain("Slot 1");
  });

  it("compares compacted long values like the full ones", () => {
    const long = b64("x".repeat(1024));
    const b = fresh().propose(10, "n1", 1, compactValue(long), 11);
    b.decide(20, "n1", 1, long).query(30, "n2", 1, 31, compactValue(long));
    expect(checkAgreement(b.trace()).verdict).toBe("pass");
    expect(checkValidity(b.trace()).verdict).toBe("pass");
  });
});

describe("validity", () => {
  it("accepts any node's input, including unanswered proposals and empty values", () => {
    const b = fresh();
    b.propose(10, "n1", 1, b64("a"), 15);
    b.propose(12, "n2", 1, b64("b")); // never answered: still n2's possible input
    b.propose(14, "n3", 2, ""); // the empty value
    b.decideEverywhere(30, 1, b64("b")).decideEverywhere(30, 2, "");
    expect(checkValidity(b.trace()).verdict).toBe("pass");
  });

  it("counts a proposal to another node even after this node acknowledged one", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11).propose(20, "n2", 1, b64("b"), 21);
    b.decideEverywhere(30, 1, b64("b"));
    expect(checkValidity(b.trace()).verdict).toBe("pass");
  });

  it("an error reply does not fix a node's input", () => {
    const b = fresh();
    b.invoke(10, "n1", { proc: "CONS_PROPOSE", slot: "1", value: b64("a") })
      .send(10)
      .reply(11, { kind: "accepted-error", stat: "SYSTEM_ERR", verifierFlavor: 0 });
    b.propose(12, "n1", 1, b64("b"), 13);
    b.decideEverywhere(30, 1, b64("b")); // "b" was sent before the first SUCCESS
    expect(checkValidity(b.trace()).verdict).toBe("pass");
  });

  it("fails on a value nobody proposed, naming the possible inputs", () => {
    const b = fresh();
    b.propose(10, "n1", 1, b64("a"), 11);
    b.decide(30, "n2", 1, b64("z"));
    const r = checkValidity(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toMatch(/nobody proposed it.*op 1 to n1/);
    expect(r.evidence[0]?.ops).toContain(1);
  });

  it("fails on a value proposed only after the node acknowledged its first proposal", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11);
    b.propose(12, "n1", 1, b64("late"), 13);
    const late = b.lastOp;
    b.decide(30, "n1", 1, b64("late"));
    const r = checkValidity(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toContain(`op ${late} to n1`);
    expect(r.evidence[0]?.message).toContain("already acknowledged");
  });

  it("ignores a proposal that was invoked but never sent", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11);
    b.invoke(12, "n2", { proc: "CONS_PROPOSE", slot: "1", value: b64("ghost") });
    b.decide(30, "n1", 1, b64("ghost"));
    expect(checkValidity(b.trace()).verdict).toBe("fail");
  });
});

describe("integrity", () => {
  it("passes re-printed decisions after a restart and FALSE before the first TRUE", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11);
    b.query(15, "n2", 1, 16, false);
    b.decideEverywhere(20, 1, b64("a"));
    b.query(21, "n3", 1, 40, false); // sent before dslab received n3's TRUE at 22
    b.kill(50, "n1").start(60, "n1").decide(61, "n1", 1, b64("a"));
    b.query(70, "n1", 1, 71, b64("a"));
    expect(checkIntegrity(b.trace()).verdict).toBe("pass");
  });

  it("fails when a slot is printed twice in one run, showing both lines", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11);
    b.decide(20, "n1", 1, b64("a")).decide(25, "n1", 1, b64("a"));
    const r = checkIntegrity(b.trace());
    expect(r.verdict).toBe("fail");
    const lines = b.trace().events.flatMap((e, i) => (e.type === "node.event" ? [i] : []));
    expect(r.evidence).toEqual([expect.objectContaining({ events: lines })]);
    expect(r.summary).toContain("printed twice in one run");
  });

  it("fails on FALSE to a call sent after a TRUE from the same node", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11).decide(20, "n2", 1, b64("a"));
    b.query(30, "n2", 1, 31, b64("a"));
    const yes = b.lastOp;
    b.query(40, "n2", 1, 41, false);
    const no = b.lastOp;
    b.query(40, "n3", 1, 41, false); // another node may not know yet
    const r = checkIntegrity(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0]?.ops).toEqual([yes, no]);
  });

  it("fails when one node outputs two values across incarnations", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11).propose(10, "n2", 1, b64("b"), 11);
    b.decide(20, "n1", 1, b64("a")).kill(30, "n1").start(40, "n1").decide(41, "n1", 1, b64("b"));
    const r = checkIntegrity(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence[0]?.message).toContain("n1 output two values for slot 1");
  });

  it("judges only the first transmission's time of a retransmitted call", () => {
    const b = fresh().propose(10, "n1", 1, b64("a"), 11).decide(20, "n2", 1, b64("a"));
    b.query(30, "n2", 1, 31, b64("a"));
    const retried = b.invoke(25, "n2", { proc: "CONS_DECIDED", slot: "1" }).send(25).send(35);
    retried.reply(36, consSuccess({ proc: "CONS_DECIDED", decided: false }));
    expect(checkIntegrity(b.trace()).verdict).toBe("pass");
  });
});

describe("output-format", () => {
  it("passes well-formed lines with extra fields and any key order", () => {
    const b = fresh().output(10, "n1", { value: "", extra: [1], slot: 2 ** 40, type: "decide" });
    expect(checkOutputFormat(b.trace()).verdict).toBe("pass");
  });

  it("fails each malformed line, quoting it", () => {
    const b = fresh();
    b.output(10, "n1", { type: "decide", slot: 1.5, value: "" });
    b.output(11, "n1", { type: "decide", slot: 1, value: "YR==" });
    b.output(12, "n1", { type: "decide", slot: 1 });
    const r = checkOutputFormat(b.trace());
    expect(r.verdict).toBe("fail");
    expect(r.evidence.map((e) => e.message)).toEqual([
      expect.stringContaining('"slot":1.5'),
      expect.stringContaining("not standard padded base64"),
      expect.stringContaining('"value" must be a base64 string'),
    ]);
  });
});
