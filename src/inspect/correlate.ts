/**
 * Ties every event to the client operation and the connection it is about, so a filter or a
 * story can follow one call through its transmissions and replies. Replies carry no op id:
 * they are matched to the last transmission of the same xid on the same connection.
 */
import type { ProgramCall } from "../rpc/program.ts";
import type { NodeId, Trace } from "../trace/events.ts";

export interface OpRecord {
  id: number;
  client: string;
  /** The node the client addressed, when the lab has several. */
  node?: NodeId;
  call: ProgramCall;
  invoke: number;
  /** Indexes of its rpc.send and rpc.reply events, in order. */
  sends: number[];
  replies: number[];
}

export interface ConnRecord {
  client: string;
  link: string;
}

export interface Correlation {
  ops: Map<number, OpRecord>;
  conns: Map<number, ConnRecord>;
  /** Per event index: the op it is about, if any. */
  opOf: Array<number | undefined>;
  /** Per event index: the connection it happened on, if any. */
  connOf: Array<number | undefined>;
}

export function correlate(trace: Trace): Correlation {
  const ops = new Map<number, OpRecord>();
  const conns = new Map<number, ConnRecord>();
  const opOf: Array<number | undefined> = [];
  const connOf: Array<number | undefined> = [];
  const opByConnXid = new Map<string, number>();
  trace.events.forEach((e, index) => {
    switch (e.type) {
      case "op.invoke":
        if (!ops.has(e.op)) {
          ops.set(e.op, {
            id: e.op,
            client: e.client,
            ...(e.node ? { node: e.node } : {}),
            call: e.call,
            invoke: index,
            sends: [],
            replies: [],
          });
        }
        opOf[index] = e.op;
        break;
      case "op.ok":
      case "op.fail":
      case "op.info":
        opOf[index] = e.op;
        break;
      case "conn.open":
        conns.set(e.conn, { client: e.client, link: e.link });
        connOf[index] = e.conn;
        break;
      case "conn.close":
        connOf[index] = e.conn;
        break;
      case "rpc.send":
        connOf[index] = e.conn;
        if (e.op === undefined) {
          opByConnXid.delete(`${e.conn}:${e.xid}`);
          break;
        }
        opOf[index] = e.op;
        opByConnXid.set(`${e.conn}:${e.xid}`, e.op);
        ops.get(e.op)?.sends.push(index);
        break;
      case "rpc.reply": {
        connOf[index] = e.conn;
        const op = opByConnXid.get(`${e.conn}:${e.xid}`);
        if (op === undefined) break;
        opOf[index] = op;
        ops.get(op)?.replies.push(index);
        break;
      }
    }
  });
  return { ops, conns, opOf, connOf };
}

/** The client an event is about: its op's, its connection's, or its own `client` field. */
export function clientOf(
  trace: Trace,
  correlation: Correlation,
  index: number,
): string | undefined {
  const e = trace.events[index];
  if (e && "client" in e) return e.client;
  const op = correlation.opOf[index];
  if (op !== undefined) return correlation.ops.get(op)?.client;
  const conn = correlation.connOf[index];
  return conn === undefined ? undefined : correlation.conns.get(conn)?.client;
}
