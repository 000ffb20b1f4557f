/**
 * One event as a person reads it: time, who acted, what happened. Calls and replies use the
 * lab program's own wording (the checkers' too) so a story and a verdict say the same.
 */

import { describeNetVerify } from "../check/fault-integrity.ts";
import { type CallDescriber, callDescriber } from "../lab/call-describer.ts";
import { describeFault, describeFaultEnd } from "../net/describe-fault.ts";
import type { Trace, TraceEvent } from "../trace/events.ts";
import { type Correlation, clientOf } from "./correlate.ts";

export interface DescribedEvent {
  actor: string;
  what: string;
}

/** "  1234.5 ms": fixed width so lines align. */
export function formatTime(t: number): string {
  return `${t.toFixed(1).padStart(9)} ms`;
}

function opLabel(calls: CallDescriber, correlation: Correlation, op: number | undefined): string {
  if (op === undefined) return "";
  const record = correlation.ops.get(op);
  return record ? ` for op ${op} (${calls.call(record.call)})` : ` for op ${op}`;
}

export function describeEvent(
  trace: Trace,
  correlation: Correlation,
  index: number,
): DescribedEvent {
  const e = trace.events[index] as TraceEvent;
  const client = clientOf(trace, correlation, index) ?? "client";
  const calls = callDescriber(trace.header.lab);
  switch (e.type) {
    case "node.start":
      return {
        actor: e.node,
        what: `started (incarnation ${e.incarnation}, pid ${e.pid}, port ${e.port})`,
      };
    case "node.ready":
      return { actor: e.node, what: `ready (incarnation ${e.incarnation})` };
    case "node.failed":
      return { actor: e.node, what: `failed to start (incarnation ${e.incarnation}): ${e.reason}` };
    case "node.kill":
      return { actor: e.node, what: `killed with SIGKILL (incarnation ${e.incarnation})` };
    case "node.exit": {
      const how = e.signal ? `by ${e.signal}` : `with code ${e.code}`;
      const whose = e.expected ? "killed by dslab" : "on its own";
      return { actor: e.node, what: `exited ${how} (${whose}, incarnation ${e.incarnation})` };
    }
    case "node.pause":
      return { actor: e.node, what: `paused with SIGSTOP (incarnation ${e.incarnation})` };
    case "node.resume":
      return { actor: e.node, what: `resumed with SIGCONT (incarnation ${e.incarnation})` };
    case "node.log":
      return { actor: e.node, what: `${e.stream}: ${e.line}` };
    case "node.log.dropped":
      return {
        actor: e.node,
        what: `${e.lines} log lines (${e.bytes} bytes) past the budget dropped`,
      };
    case "node.event":
      return { actor: e.node, what: calls.nodeEvent(e.event) };
    case "node.memory":
      return { actor: e.node, what: `resident memory ${e.rssKiB} KiB` };
    case "nemesis.start":
      return { actor: "nemesis", what: `fault #${e.id} begins: ${describeFault(e.fault)}` };
    case "nemesis.stop":
      return {
        actor: "nemesis",
        what: `fault #${e.id} ends: ${describeFault(e.fault)}${describeFaultEnd(e)}`,
      };
    case "nemesis.skip":
      return {
        actor: "nemesis",
        what: `fault #${e.id} skipped (${describeFault(e.fault)}): ${e.reason}`,
      };
    case "nemesis.heal":
      return { actor: "nemesis", what: "final heal done: every fault removed, every node up" };
    case "op.invoke":
      return {
        actor: e.client,
        what: `op ${e.op} invoked: ${calls.call(e.call)}${e.node ? ` on ${e.node}` : ""}`,
      };
    case "op.ok":
      return { actor: client, what: `op ${e.op} ok: ${calls.outcome(e.outcome)}` };
    case "op.fail":
      return { actor: client, what: `op ${e.op} failed (not executed): ${e.reason}` };
    case "op.info":
      return { actor: client, what: `op ${e.op} indeterminate: ${e.reason}` };
    case "conn.open":
      return { actor: e.client, what: `conn ${e.conn} opened via ${e.link}` };
    case "conn.close":
      return { actor: client, what: `conn ${e.conn} closed (${e.reason})` };
    case "rpc.send": {
      const header =
        e.op === undefined
          ? ` (prog ${e.prog} vers ${e.vers} proc ${e.proc}, ${e.cred.flavor})`
          : "";
      const deviation = e.deviation ? `, deliberately ${e.deviation}` : "";
      return {
        actor: client,
        what: `sends xid ${e.xid} on ${connLabel(correlation, e.conn, "to")} (${e.kind}${deviation})${header}${opLabel(calls, correlation, e.op)}`,
      };
    }
    case "rpc.reply":
      return {
        actor: client,
        what: `reply xid ${e.xid} on ${connLabel(correlation, e.conn, "from")}: ${calls.outcome(e.outcome)}${opLabel(calls, correlation, correlation.opOf[index])}`,
      };
    case "probe":
      return {
        actor: `probe`,
        what: `${e.probe}: ${e.step}${e.detail ? ` ${JSON.stringify(e.detail)}` : ""}`,
      };
    case "net.repair":
      return { actor: "dslab", what: `recreated the proxy of link ${e.link}: ${e.reason}` };
    case "net.verify":
      return { actor: "dslab", what: describeNetVerify(e) };
    case "harness.error":
      return { actor: "dslab", what: `harness error: ${e.message}` };
    case "end":
      return { actor: "dslab", what: `run ended: ${e.status}${e.reason ? ` (${e.reason})` : ""}` };
    default:
      // A newer event type this dslab does not know: shown raw rather than hidden.
      return { actor: "?", what: JSON.stringify(e) };
  }
}

/** One line: time, actor, what. */
export function eventLine(trace: Trace, correlation: Correlation, index: number): string {
  const { actor, what } = describeEvent(trace, correlation, index);
  return `${formatTime(trace.events[index]?.t ?? 0)}  ${actor.padEnd(7)}  ${what}`;
}

/** "conn 12 to n2" where the connection's link leads from its client to a node, else "conn 12". */
function connLabel(correlation: Correlation, conn: number, direction: "to" | "from"): string {
  const record = correlation.conns.get(conn);
  const prefix = record ? `${record.client}-` : undefined;
  return prefix && record?.link.startsWith(prefix)
    ? `conn ${conn} ${direction} ${record.link.slice(prefix.length)}`
    : `conn ${conn}`;
}
