/**
 * wire-conformance: every reply answers an xid sent on its connection, with an AUTH_NONE
 * verifier, decodes, and is the one the contract fixes for what was sent. The rules apply
 * in the contract's order: AUTH_BADCRED, then AUTH_REJECTEDCRED (not for KV_NULL and
 * KV_BOOT), then program, version, procedure and arguments, then the replay rules. Where
 * the checker cannot know (no BOOT reply yet to tell the current cookie), it accepts every
 * answer that some possibility allows.
 */

import { countedVerdict } from "../../check/counted-verdict.ts";
import type { CheckResult, Evidence } from "../../check/types.ts";
import type { ReplyOutcome } from "../../rpc/reply-outcome.ts";
import type { RpcSendEvent, Trace } from "../../trace/events.ts";
import { describeOutcome } from "../kv-describe.ts";
import { KV_PROCS, KV_PROG, type KvProcName } from "../kv-types.ts";
import {
  type CookieStatus,
  type Credential,
  classifyCredential,
  followClusterCookie,
  followCookies,
} from "./credentials.ts";
import { unansweredCalls } from "./unanswered.ts";

export const WIRE_CONFORMANCE = "wire-conformance";
const MAX_EVIDENCE = 20;

interface Acceptable {
  label: string;
  matches: (o: ReplyOutcome) => boolean;
}

/** What the contract lets the server answer to one transmission; undefined: not graded. */
type Expectation = { noReply: true; why: string } | { noReply: false; allowed: Acceptable[] };

const auth = (stat: string): Acceptable => ({
  label: stat,
  matches: (o) => o.kind === "auth-error" && o.stat === stat,
});
const accepted = (stat: string, mismatch?: { low: number; high: number }): Acceptable => ({
  label: mismatch ? `${stat} (${mismatch.low}, ${mismatch.high})` : stat,
  matches: (o) =>
    o.kind === "accepted-error" &&
    o.stat === stat &&
    (!mismatch || (o.mismatch?.low === mismatch.low && o.mismatch?.high === mismatch.high)),
});
const PROC_NAMES = Object.fromEntries(Object.entries(KV_PROCS).map(([n, v]) => [v, n])) as Record<
  number,
  KvProcName
>;
const successOf = (proc: number): Acceptable => ({
  label: `SUCCESS with a ${PROC_NAMES[proc]} result`,
  matches: (o) => o.kind === "success" && o.result.proc === PROC_NAMES[proc],
});

/** PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL or GARBAGE_ARGS, in the RFC's order. */
function protocolError(send: RpcSendEvent): Acceptable | undefined {
  if (send.prog !== KV_PROG) return accepted("PROG_UNAVAIL");
  if (send.vers !== 1) return accepted("PROG_MISMATCH", { low: 1, high: 1 });
  if (send.proc > KV_PROCS.BOOT) return accepted("PROC_UNAVAIL");
  if (send.deviation === "garbage-args") return accepted("GARBAGE_ARGS");
  return undefined;
}

interface ReplayFacts {
  cookie: CookieStatus | undefined;
  /** The xid is at or below the client's watermark and was never sent before. */
  belowWatermarkUnused: boolean;
  /** The client sent this xid before (a retransmission or late duplicate). */
  reused: boolean;
}

function expect(send: RpcSendEvent, cred: Credential, facts: ReplayFacts): Expectation | undefined {
  if (send.deviation === "not-a-call") {
    return { noReply: true, why: "a record that is not a decodable CALL gets no reply" };
  }
  if (send.deviation === "bad-rpcvers") return undefined; // RPC_MISMATCH or a close: not graded
  if (cred.kind === "bad") return { noReply: false, allowed: [auth("AUTH_BADCRED")] };
  const protocol = protocolError(send);
  const exempt =
    send.prog === KV_PROG &&
    send.vers === 1 &&
    (send.proc === KV_PROCS.NULL || send.proc === KV_PROCS.BOOT);
  // KV_NULL / KV_BOOT of another program or version: whether the cookie exemption applies
  // is not fixed by the contract, so either answer passes.
  const maybeExempt = !exempt && protocol !== undefined && (send.proc === 0 || send.proc === 6);
  const rejected: Acceptable[] = [];
  if (cred.kind === "amo" && !exempt) {
    if (facts.cookie === "stale" && !maybeExempt) {
      return { noReply: false, allowed: [auth("AUTH_REJECTEDCRED")] };
    }
    if (facts.cookie !== "current") rejected.push(auth("AUTH_REJECTEDCRED"));
  }
  if (protocol) return { noReply: false, allowed: [...rejected, protocol] };
  if (cred.kind === "amo" && !exempt) {
    if (facts.cookie === "current" && facts.belowWatermarkUnused) {
      return { noReply: false, allowed: [accepted("SYSTEM_ERR")] };
    }
    if (facts.cookie !== "current" || facts.reused) rejected.push(accepted("SYSTEM_ERR"));
  }
  return { noReply: false, allowed: [...rejected, successOf(send.proc)] };
}

function describeSend(send: RpcSendEvent, cred: Credential, cookie?: CookieStatus): string {
  const who =
    cred.kind === "amo"
      ? `AUTH_AMO client ${cred.clientId} with ${cookie ?? "an unknown"} cookie ${cred.cookie}`
      : cred.kind === "bad"
        ? `a bad credential (${cred.why})`
        : cred.kind === "sys"
          ? "AUTH_SYS"
          : "AUTH_NONE";
  const what =
    send.prog === KV_PROG && send.vers === 1
      ? (PROC_NAMES[send.proc] ?? `proc ${send.proc}`)
      : `prog ${send.prog} vers ${send.vers} proc ${send.proc}`;
  return `xid ${send.xid} on conn ${send.conn} (${what}, ${who}${send.deviation ? `, ${send.deviation}` : ""})`;
}

interface Pending {
  event: number;
  send: RpcSendEvent;
  cred: Credential;
  cookie: CookieStatus | undefined;
  expectation: Expectation | undefined;
}

export interface WireOptions {
  /**
   * per-boot (lab 1): each boot of the one node has a new cookie, and every well-formed call
   * sent on a calm network must be answered; cluster (lab 3): one cookie for the whole run,
   * and a node may leave a call unanswered until a majority commits it (liveness is judged by
   * the lab's own checkers).
   */
  cookies: "per-boot" | "cluster";
}

/** Lab 1's wire checker; lab 3's is makeWireChecker({ cookies: "cluster" }). */
export function checkWireConformance(trace: Trace): CheckResult {
  return checkWire(trace, { cookies: "per-boot" });
}

export function makeWireChecker(options: WireOptions): (trace: Trace) => CheckResult {
  return (trace) => checkWire(trace, options);
}

function checkWire(trace: Trace, options: WireOptions): CheckResult {
  const perBoot = options.cookies === "per-boot";
  const cookies = perBoot ? followCookies(trace) : followClusterCookie(trace);
  const violations: Evidence[] = [];
  const latestSend = new Map<string, Pending>();
  const expectations = new Map<number, Expectation | undefined>();
  const usedXids = new Map<string, Set<number>>();
  /** Highest acked_xid the server has surely seen, per client and current cookie. */
  const watermark = new Map<string, number>();
  /**
   * Highest acked_xid sent so far, per client and cookie. A cluster applies acked_xid through
   * its log, so once any node may have been told, an uncached xid at or below it (a first
   * transmission that reached a slow node late) may get SYSTEM_ERR.
   */
  const announced = new Map<string, number>();
  let repliesChecked = 0;

  trace.events.forEach((e, index) => {
    if (e.type === "rpc.send") {
      const cred = classifyCredential(e.cred);
      const cookie = cookies.statusAtSend.get(index);
      let facts: ReplayFacts = { cookie, belowWatermarkUnused: false, reused: false };
      if (cred.kind === "amo") {
        const used = usedXids.get(cred.clientId) ?? new Set<number>();
        usedXids.set(cred.clientId, used);
        const key = `${cred.clientId}|${cred.cookie}`;
        const mark = Math.max(watermark.get(key) ?? 0, cred.ackedXid);
        const reused = used.has(e.xid) || e.kind !== "first";
        facts = { cookie, reused, belowWatermarkUnused: !reused && e.xid <= mark };
        used.add(e.xid);
        announced.set(key, Math.max(announced.get(key) ?? 0, cred.ackedXid));
      }
      const expectation = expect(e, cred, facts);
      expectations.set(index, expectation);
      latestSend.set(`${e.conn}:${e.xid}`, { event: index, send: e, cred, cookie, expectation });
      return;
    }
    if (e.type !== "rpc.reply") return;
    repliesChecked++;
    const pending = latestSend.get(`${e.conn}:${e.xid}`);
    const flag = (message: string, events: number[]): void => {
      violations.push({ message, events });
    };
    if (!pending) {
      flag(
        `A reply came for xid ${e.xid} on conn ${e.conn}, which was never sent on that connection.`,
        [index],
      );
      return;
    }
    const { send, cred, cookie, expectation } = pending;
    const pair = [pending.event, index];
    if (cred.kind === "amo" && cookie === "current") {
      // The server has now surely seen this call's acked_xid.
      const key = `${cred.clientId}|${cred.cookie}`;
      watermark.set(key, Math.max(watermark.get(key) ?? 0, cred.ackedXid));
    }
    const o = e.outcome;
    if (o.kind === "malformed") {
      flag(`The reply to ${describeSend(send, cred, cookie)} does not decode: ${o.reason}.`, pair);
      return;
    }
    if ((o.kind === "success" || o.kind === "accepted-error") && o.verifierFlavor !== 0) {
      flag(
        `The reply to ${describeSend(send, cred, cookie)} has verifier flavor ${o.verifierFlavor}; reply verifiers must be AUTH_NONE (0).`,
        pair,
      );
    }
    if (!expectation) return;
    const passedInCluster =
      !perBoot &&
      cred.kind === "amo" &&
      cookie === "current" &&
      o.kind === "accepted-error" &&
      o.stat === "SYSTEM_ERR" &&
      (announced.get(`${cred.clientId}|${cred.cookie}`) ?? 0) >= send.xid;
    if (passedInCluster) return;
    if (expectation.noReply) {
      flag(
        `${describeSend(send, cred, cookie)} got ${describeOutcome(o)}, but ${expectation.why}.`,
        pair,
      );
    } else if (!expectation.allowed.some((a) => a.matches(o))) {
      const want = expectation.allowed.map((a) => a.label).join(" or ");
      flag(
        `${describeSend(send, cred, cookie)} must get ${want}, but got ${describeOutcome(o)}.`,
        pair,
      );
    }
  });
  if (perBoot) {
    violations.push(...bootCookieProblems(cookies.bootReplies));
    violations.push(
      ...unansweredCalls(trace, (index) => {
        const expectation = expectations.get(index);
        return expectation !== undefined && !expectation.noReply;
      }),
    );
  }

  return countedVerdict(WIRE_CONFORMANCE, repliesChecked, violations.slice(0, MAX_EVIDENCE), {
    fail: `${violations.length} repl${violations.length === 1 ? "y breaks" : "ies break"} the wire contract; first: ${violations[0]?.message}`,
    skipped: "No replies were recorded, so there was nothing to check.",
    pass: `All ${repliesChecked} replies match what the contract requires for the calls sent.`,
  });
}

/** Cookies are never 0 and differ across boots of the node. */
function bootCookieProblems(boots: ReturnType<typeof followCookies>["bootReplies"]): Evidence[] {
  const found: Evidence[] = [];
  const firstByCookie = new Map<string, { event: number; incarnation: number | undefined }>();
  for (const b of boots) {
    if (b.cookie === "0") {
      found.push({
        message: "KV_BOOT returned cookie 0, which is never a valid boot cookie.",
        events: [b.event],
      });
    }
    const seen = firstByCookie.get(b.cookie);
    if (seen && seen.incarnation !== b.incarnation) {
      found.push({
        message: `KV_BOOT returned cookie ${b.cookie} in incarnation ${b.incarnation} and in earlier incarnation ${seen.incarnation}; each boot needs a new cookie.`,
        events: [seen.event, b.event],
      });
    } else if (!seen) {
      firstByCookie.set(b.cookie, { event: b.event, incarnation: b.incarnation });
    }
  }
  return found;
}
