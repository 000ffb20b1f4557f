/**
 * Calls the server must answer: a well-formed first transmission sent while everything was
 * calm gets its reply before the server closes the connection, and within ANSWER_WITHIN_MS
 * when the connection stays open. (Retransmissions and duplicates may go unanswered while the
 * original is in progress; calls our own client gave up on sooner are not judged.)
 */

import type { Evidence } from "../../check/types.ts";
import type { RpcSendEvent, Trace } from "../../trace/events.ts";
import { disturbedSpans, overlaps } from "./calm.ts";

export const ANSWER_WITHIN_MS = 2000;

interface Waiting {
  event: number;
  send: RpcSendEvent;
}

/** `mustAnswer(index)` says whether the send at that index requires a reply at all. */
export function unansweredCalls(trace: Trace, mustAnswer: (index: number) => boolean): Evidence[] {
  const disturbed = disturbedSpans(trace);
  const calm = (from: number, to: number) => !disturbed.some((d) => overlaps(d, [from, to]));
  const waiting = new Map<string, Waiting>();
  /** Connections on which a probe sent something that is no call: the server may close them. */
  const mayClose = new Set<number>();
  const found: Evidence[] = [];
  const judge = (w: Waiting, at: number, index: number | undefined, why: string) => {
    if (!calm(w.send.t, Math.min(at, w.send.t + ANSWER_WITHIN_MS))) return;
    found.push({
      message: `xid ${w.send.xid} on conn ${w.send.conn} (proc ${w.send.proc}), sent on a calm network at ${w.send.t.toFixed(0)} ms, ${why}.`,
      events: index === undefined ? [w.event] : [w.event, index],
      ...(w.send.op !== undefined ? { ops: [w.send.op] } : {}),
    });
  };
  trace.events.forEach((e, index) => {
    if (e.type === "rpc.send") {
      if (e.deviation !== undefined) mayClose.add(e.conn);
      if (e.kind === "first" && mustAnswer(index))
        waiting.set(`${e.conn}:${e.xid}`, { event: index, send: e });
    } else if (e.type === "rpc.reply") {
      waiting.delete(`${e.conn}:${e.xid}`);
    } else if (e.type === "conn.close") {
      const byServer = !e.reason.startsWith("local-");
      for (const [key, w] of waiting) {
        if (w.send.conn !== e.conn) continue;
        waiting.delete(key);
        if (byServer && !mayClose.has(e.conn)) {
          judge(
            w,
            e.t,
            index,
            `got no reply before the server closed the connection (${e.reason})`,
          );
        } else if (e.t - w.send.t >= ANSWER_WITHIN_MS) {
          judge(w, e.t, index, `got no reply within ${ANSWER_WITHIN_MS} ms`);
        }
      }
    }
  });
  const end = trace.events.at(-1)?.t ?? 0;
  for (const w of waiting.values()) {
    if (end - w.send.t >= ANSWER_WITHIN_MS)
      judge(w, end, undefined, `got no reply within ${ANSWER_WITHIN_MS} ms`);
  }
  return found;
}
