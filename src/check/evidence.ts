/**
 * evidence: a run passes only on evidence. The other checkers judge the calls the submission
 * answered (every reply against the contract, every answered call against the history...); a
 * run in which few or no calls got a reply leaves them nothing to contradict, so their "pass"
 * or "skipped" means nothing was seen, not that the submission works. Every lab, every
 * scenario: at least header.params.minAnsweredCalls distinct calls (never fewer than 1) must
 * have got a reply, or the run fails here.
 */
import type { RpcSendEvent, Trace } from "../trace/events.ts";
import { namedChecker } from "./named-checker.ts";
import type { CheckResult, Evidence, NamedChecker } from "./types.ts";

export const EVIDENCE = "evidence";
/** Without a scenario's own minimum: at least one answered call. */
export const DEFAULT_MIN_ANSWERED_CALLS = 1;
/** Unanswered transmissions shown with a failure, for the viewer. */
const UNANSWERED_SHOWN = 5;

/** The scenario's minimum as the trace records it; anything below 1 (or malformed) is 1. */
export function minAnsweredCalls(params: Record<string, unknown>): number {
  const wanted = params.minAnsweredCalls;
  if (typeof wanted !== "number" || !Number.isFinite(wanted)) return DEFAULT_MIN_ANSWERED_CALLS;
  return Math.max(DEFAULT_MIN_ANSWERED_CALLS, Math.ceil(wanted));
}

/** A call is its operation, or its connection and xid when no operation sent it (raw probes). */
const callOf = (send: RpcSendEvent): string =>
  send.op !== undefined ? `op ${send.op}` : `conn ${send.conn} xid ${send.xid}`;

export function checkEvidence(trace: Trace): CheckResult {
  const needed = minAnsweredCalls(trace.header.params);
  const sent = new Map<string, RpcSendEvent>();
  const called = new Set<string>();
  const answered = new Set<string>();
  const firstSends: number[] = [];
  trace.events.forEach((e, index) => {
    if (e.type === "rpc.send") {
      sent.set(`${e.conn}:${e.xid}`, e);
      if (!called.has(callOf(e))) firstSends.push(index);
      called.add(callOf(e));
    } else if (e.type === "rpc.reply") {
      const send = sent.get(`${e.conn}:${e.xid}`);
      if (send) answered.add(callOf(send));
    }
  });
  const callsNeeded = `${needed} answered call${needed === 1 ? "" : "s"}`;
  if (answered.size >= needed) {
    return {
      property: EVIDENCE,
      verdict: "pass",
      summary: `${answered.size} of ${called.size} calls got a reply for the other properties to judge (this scenario needs at least ${callsNeeded}).`,
      evidence: [],
    };
  }
  const summary =
    answered.size === 0
      ? `No call got a reply (${called.size} sent): nothing in this run could be judged, so it cannot pass (this scenario needs at least ${callsNeeded}).`
      : `Only ${answered.size} of ${called.size} calls got a reply: too little to judge the submission by, so the run cannot pass (this scenario needs at least ${callsNeeded}).`;
  const unanswered = firstSends.filter((index) => {
    const e = trace.events[index];
    return e?.type === "rpc.send" && !answered.has(callOf(e));
  });
  const evidence: Evidence[] = [
    {
      message:
        called.size === 0
          ? "No call was sent."
          : unanswered.length === 0
            ? // A probe stops when its first calls are refused (a starter kit's PROC_UNAVAIL).
              `Every call sent got a reply, but only ${called.size} ${called.size === 1 ? "was" : "were"} sent: the scenario's clients stopped early (the other properties say why).`
            : `${unanswered.length} call${unanswered.length === 1 ? "" : "s"} never got a reply; the first ${Math.min(unanswered.length, UNANSWERED_SHOWN)} are marked.`,
      events: unanswered.slice(0, UNANSWERED_SHOWN),
    },
  ];
  return { property: EVIDENCE, verdict: "fail", summary, evidence };
}

/** Run on every scenario of every lab, after the lab's own checkers (see runCheckers). */
export const evidenceChecker: NamedChecker = namedChecker(
  EVIDENCE,
  "liveness",
  "Enough calls got a reply to judge the submission by (the scenario's minAnsweredCalls, at least 1): a run in which nothing could be checked never passes.",
  checkEvidence,
);
