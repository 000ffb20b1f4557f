/**
 * Lab 3's calls with where each transmission went: a connection's node is the far end of its
 * proxy link ("<client>-<node>"), so evidence can name the nodes that were called and answered.
 */
import { deriveHistory, type HistoryOp } from "../../../src/kv/kv-history.ts";
import type { Trace } from "../../../src/trace/events.ts";

export interface SentTo {
  event: number;
  t: number;
  node: string | undefined;
}

export interface RoutedOp {
  op: HistoryOp;
  sent: SentTo[];
  /** Every reply (any outcome) in arrival order, with the node it came from. */
  replies: SentTo[];
}

/** The node each connection leads to, from its conn.open. */
export function connectionNodes(trace: Trace): Map<number, string> {
  const nodes = new Set(trace.header.nodes);
  const byConn = new Map<number, string>();
  for (const e of trace.events) {
    if (e.type !== "conn.open") continue;
    const prefix = `${e.client}-`;
    const node = e.link.startsWith(prefix) ? e.link.slice(prefix.length) : undefined;
    if (node !== undefined && nodes.has(node)) byConn.set(e.conn, node);
  }
  return byConn;
}

export function routedOps(trace: Trace): RoutedOp[] {
  const nodeOf = connectionNodes(trace);
  return deriveHistory(trace).ops.map((op) => ({
    op,
    sent: op.sends.map((s) => ({ event: s.event, t: s.send.t, node: nodeOf.get(s.send.conn) })),
    replies: op.replies.map((r) => ({
      event: r.event,
      t: r.reply.t,
      node: nodeOf.get(r.reply.conn),
    })),
  }));
}

/** "n1, n3" for the nodes of some transmissions (unknown ones left out). */
export function nodeList(items: SentTo[]): string {
  const nodes = [...new Set(items.map((i) => i.node).filter((n) => n !== undefined))].sort();
  return nodes.length > 0 ? nodes.join(", ") : "no known node";
}
