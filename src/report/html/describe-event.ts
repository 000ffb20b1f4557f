/**
 * One-line renderings of calls and trace events for the HTML viewer: labels on bars, tooltips
 * and the evidence lists. Calls read in their lab program's words, as in the evidence.
 */

import { describeNetVerify } from "../../check/fault-integrity.ts";
import type { CallDescriber } from "../../lab/call-describer.ts";
import { describeFault, describeFaultEnd } from "../../net/describe-fault.ts";
import { quote } from "../../rpc/describe-reply.ts";
import type { Fault, TraceEvent } from "../../trace/events.ts";

/** A lab 2 decision line ("decide") as a short phrase, whatever fields the node printed. */
export function describeDecision(event: Record<string, unknown>): string {
  const { type: _type, ...rest } = event;
  const slot = rest.slot === undefined ? "" : ` slot ${String(rest.slot)}`;
  const value = rest.value === undefined ? "" : ` ${quote(String(rest.value))}`;
  return slot || value ? `decide${slot}${value}` : `decide ${JSON.stringify(rest)}`;
}

/** describeFault, with a fallback for a fault kind newer than it. */
export function faultText(fault: Fault): string {
  return describeFault(fault) ?? `${fault.kind} ${JSON.stringify(fault)}`;
}

export function describeEvent(event: TraceEvent, calls: CallDescriber): string {
  switch (event.type) {
    case "node.start":
      return `${event.node} started (incarnation ${event.incarnation}, pid ${event.pid})`;
    case "node.ready":
      return `${event.node} ready (incarnation ${event.incarnation})`;
    case "node.failed":
      return `${event.node} failed to start: ${event.reason}`;
    case "node.kill":
      return `${event.node} killed (SIGKILL, incarnation ${event.incarnation})`;
    case "node.exit":
      return `${event.node} exited (${event.signal ?? `code ${event.code}`})${event.expected ? "" : " on its own"}`;
    case "node.pause":
      return `${event.node} paused (SIGSTOP)`;
    case "node.resume":
      return `${event.node} resumed (SIGCONT)`;
    case "node.log":
      return `${event.node} ${event.stream}: ${event.line}`;
    case "node.log.dropped":
      return `${event.node}: ${event.lines} log lines (${event.bytes} bytes) dropped`;
    case "node.event":
      return event.event.type === "decide"
        ? `${event.node} ${describeDecision(event.event)}`
        : `${event.node} event ${JSON.stringify(event.event)}`;
    case "node.memory":
      return `${event.node} RSS ${event.rssKiB} KiB`;
    case "nemesis.start":
      return `fault ${event.id} starts: ${faultText(event.fault)}`;
    case "nemesis.stop":
      return `fault ${event.id} ends: ${faultText(event.fault)}${describeFaultEnd(event)}`;
    case "nemesis.skip":
      return `fault ${event.id} skipped: ${event.reason}`;
    case "op.invoke":
      return `op ${event.op} by ${event.client}: ${calls.call(event.call)}`;
    case "op.ok":
      return `op ${event.op} ok: ${calls.outcome(event.outcome)}`;
    case "op.fail":
      return `op ${event.op} failed: ${event.reason}`;
    case "op.info":
      return `op ${event.op} indeterminate: ${event.reason}`;
    case "conn.open":
      return `connection ${event.conn} opened by ${event.client} via ${event.link}`;
    case "conn.close":
      return `connection ${event.conn} closed (${event.reason})`;
    case "rpc.send":
      return `send xid ${event.xid} on conn ${event.conn}${event.op === undefined ? "" : ` (op ${event.op})`}, ${event.kind}${event.deviation ? `, ${event.deviation}` : ""}`;
    case "rpc.reply":
      return `reply xid ${event.xid} on conn ${event.conn}: ${calls.outcome(event.outcome)}`;
    case "probe":
      return `probe ${event.probe}: ${event.step}${event.detail ? ` ${JSON.stringify(event.detail)}` : ""}`;
    case "net.repair":
      return `recreated the proxy of link ${event.link}: ${event.reason}`;
    case "net.verify":
      return describeNetVerify(event);
    case "harness.error":
      return `harness error: ${event.message}`;
    case "end":
      return `run ${event.status}${event.reason ? `: ${event.reason}` : ""}`;
    default:
      // An event type newer than this viewer: readers ignore what they do not know.
      return (event as { type: string }).type;
  }
}
