/**
 * Credentials and boot cookies as the contract judges them. One pass over the trace follows
 * the node's incarnations (node.ready) and the cookie each one announced (BOOT replies), so
 * a checker can ask, for any transmission, whether its cookie was current when it was sent.
 * Lab 1 has one node: only the first node in the header is followed. A cluster with one
 * cookie for the whole run (lab 3) is followed by followClusterCookie instead.
 */

import { AUTH_AMO } from "../../rpc/amo-credential.ts";
import type { RpcSendEvent, SentCredential, Trace, TraceEvent } from "../../trace/events.ts";
import { isKvResult, KV_PROCS, KV_PROG } from "../kv-types.ts";

export type Credential =
  | { kind: "none" }
  | { kind: "sys" }
  | { kind: "amo"; clientId: string; cookie: string; ackedXid: number }
  /** Not acceptable: the server must answer AUTH_BADCRED. */
  | { kind: "bad"; why: string };

const AMO_BODY_BYTES = 20;

export function classifyCredential(cred: SentCredential): Credential {
  if (cred.flavor === "AUTH_NONE") return { kind: "none" };
  if (cred.flavor === "AUTH_AMO") {
    return { kind: "amo", clientId: cred.clientId, cookie: cred.cookie, ackedXid: cred.ackedXid };
  }
  if (cred.flavorNumber === 0) return { kind: "none" };
  if (cred.flavorNumber === 1) return { kind: "sys" };
  if (cred.flavorNumber !== AUTH_AMO) return { kind: "bad", why: `flavor ${cred.flavorNumber}` };
  const bytes = cred.bodyHex.length / 2;
  if (bytes !== AMO_BODY_BYTES || !/^[0-9a-fA-F]*$/.test(cred.bodyHex)) {
    return { kind: "bad", why: `an AUTH_AMO body of ${bytes} bytes` };
  }
  const hex = cred.bodyHex;
  return {
    kind: "amo",
    clientId: BigInt(`0x${hex.slice(0, 16)}`).toString(),
    cookie: BigInt(`0x${hex.slice(16, 32)}`).toString(),
    ackedXid: Number.parseInt(hex.slice(32, 40), 16),
  };
}

/** current: the latest BOOT reply's cookie of the running incarnation; stale: 0 or an
 * earlier incarnation's or not the current one; unknown: no BOOT reply yet to compare with. */
export type CookieStatus = "current" | "stale" | "unknown";

export interface BootReply {
  event: number;
  cookie: string;
  incarnation: number | undefined;
}

export interface CookieTimeline {
  /** For every transmission carrying an AUTH_AMO credential: its cookie's status then. */
  statusAtSend: Map<number, CookieStatus>;
  /** Incarnation the node was in when each transmission was sent (undefined: not ready). */
  incarnationAtSend: Map<number, number | undefined>;
  bootReplies: BootReply[];
}

const isBootCall = (s: RpcSendEvent): boolean =>
  s.prog === KV_PROG && s.vers === 1 && s.proc === KV_PROCS.BOOT && s.deviation === undefined;

/** The cookie `e` carries if it is a SUCCESS reply to one of `bootSends` ("conn:xid"). */
function bootCookieOf(e: TraceEvent, bootSends: Set<string>): string | undefined {
  if (e.type !== "rpc.reply" || !bootSends.has(`${e.conn}:${e.xid}`)) return undefined;
  const o = e.outcome;
  return o.kind === "success" && isKvResult(o.result) && o.result.proc === "BOOT"
    ? o.result.cookie
    : undefined;
}

export function followCookies(trace: Trace): CookieTimeline {
  const node = trace.header.nodes[0];
  const statusAtSend = new Map<number, CookieStatus>();
  const incarnationAtSend = new Map<number, number | undefined>();
  const bootReplies: BootReply[] = [];
  const bootSends = new Set<string>();
  const earlier = new Set<string>();
  let incarnation: number | undefined;
  let current: string | undefined;
  let dying = false;
  trace.events.forEach((e, index) => {
    if (e.type === "node.kill" && e.node === node) {
      // SIGKILL is on its way (a container can take a while to die): until node.exit the old
      // boot may still answer, so a send in between may meet either boot.
      dying = true;
    } else if (e.type === "node.exit" && e.node === node) {
      // The boot that issued `current` is over: later sends can only reach a later boot.
      if (current !== undefined) earlier.add(current);
      current = undefined;
      dying = false;
    } else if (
      (e.type === "node.start" || e.type === "node.ready") &&
      e.node === node &&
      e.incarnation !== incarnation
    ) {
      // A new boot starts at node.start: the restarted process may listen (and answer BOOT)
      // before its node.ready is recorded.
      if (current !== undefined) earlier.add(current);
      current = undefined;
      dying = false;
      incarnation = e.incarnation;
    } else if (e.type === "rpc.send") {
      incarnationAtSend.set(index, incarnation);
      if (isBootCall(e)) bootSends.add(`${e.conn}:${e.xid}`);
      const cred = classifyCredential(e.cred);
      if (cred.kind !== "amo") return;
      const status: CookieStatus = dying
        ? "unknown"
        : cred.cookie === "0" || (earlier.has(cred.cookie) && cred.cookie !== current)
          ? "stale"
          : current === undefined
            ? "unknown"
            : cred.cookie === current
              ? "current"
              : "stale";
      statusAtSend.set(index, status);
    } else {
      const cookie = bootCookieOf(e, bootSends);
      if (cookie === undefined) return;
      current = cookie;
      bootReplies.push({ event: index, cookie, incarnation });
    }
  });
  return { statusAtSend, incarnationAtSend, bootReplies };
}

/**
 * A cluster's one cookie (lab 3): the first KV_BOOT reply, from any node, fixes it; a cookie
 * is current when it is that one, stale when it is another (or 0), unknown before any reply.
 * Whether every node gives the same cookie is the cluster-cookie checker's business.
 */
export function followClusterCookie(trace: Trace): CookieTimeline {
  const statusAtSend = new Map<number, CookieStatus>();
  const bootReplies: BootReply[] = [];
  const bootSends = new Set<string>();
  let cluster: string | undefined;
  trace.events.forEach((e, index) => {
    if (e.type === "rpc.send") {
      if (isBootCall(e)) bootSends.add(`${e.conn}:${e.xid}`);
      const cred = classifyCredential(e.cred);
      if (cred.kind !== "amo") return;
      const status: CookieStatus =
        cred.cookie === "0"
          ? "stale"
          : cluster === undefined
            ? "unknown"
            : cred.cookie === cluster
              ? "current"
              : "stale";
      statusAtSend.set(index, status);
    } else {
      const cookie = bootCookieOf(e, bootSends);
      if (cookie === undefined) return;
      cluster ??= cookie;
      bootReplies.push({ event: index, cookie, incarnation: undefined });
    }
  });
  return { statusAtSend, incarnationAtSend: new Map(), bootReplies };
}
