/**
 * What lab 2's checkers judge, derived once per trace: client calls matched to their
 * transmissions and replies (never the workload's own op.ok / op.fail verdicts), decide lines
 * with the incarnation that printed them, and every output (decide line or CONS_DECIDED TRUE
 * answer) in trace order. Memoized per trace object, so the checkers share one pass.
 */

import type { NodeId, Trace } from "../../../src/trace/events.ts";
import type { ConsCall, ConsResult } from "../protocol/cons-types.ts";
import { isPaddedBase64, slotKey, valueKey } from "./values.ts";

export interface Answer {
  event: number;
  t: number;
  result: ConsResult;
}

/** One client operation on a CONS_PROPOSE or CONS_DECIDED. */
export interface ConsOp {
  id: number;
  client: string;
  /** The node addressed; undefined when the invoke does not say and there are several. */
  node: NodeId | undefined;
  proc: "CONS_PROPOSE" | "CONS_DECIDED";
  slot: string;
  /** CONS_PROPOSE's value, compared form. */
  value: string | undefined;
  rawValue: string | undefined;
  invokeEvent: number;
  /** The first transmission, when it was sent at all. */
  firstSend: { event: number; t: number } | undefined;
  /** SUCCESS replies with a result of the right procedure, in arrival order. */
  answers: Answer[];
}

export interface DecideLine {
  event: number;
  t: number;
  node: NodeId;
  /** The incarnation running when it was printed (0 before any node.start). */
  incarnation: number;
  slot: string;
  value: string;
  rawValue: string;
}

export interface MalformedLine {
  event: number;
  node: NodeId;
  reason: string;
}

/** A decision some node made visible: a decide line or a TRUE answer. */
export interface Output {
  kind: "line" | "answer";
  event: number;
  t: number;
  node: NodeId | undefined;
  slot: string;
  value: string;
  rawValue: string;
  /** The CONS_DECIDED op, for answers. */
  op?: number;
}

export interface ConsensusHistory {
  nodes: NodeId[];
  proposals: ConsOp[];
  queries: ConsOp[];
  lines: DecideLine[];
  malformed: MalformedLine[];
  outputs: Output[];
  /** t of the last event; the run was observed up to here. */
  endT: number;
  /** The end event's status; undefined when the trace stops without one. */
  endStatus: "completed" | "interrupted" | "aborted" | undefined;
}

const memo = new WeakMap<Trace, ConsensusHistory>();

export function consensusHistory(trace: Trace): ConsensusHistory {
  let history = memo.get(trace);
  if (!history) {
    history = derive(trace);
    memo.set(trace, history);
  }
  return history;
}

/** Why a decide line breaks the output contract, or undefined when it is well formed. */
export function decideLineProblem(event: Record<string, unknown>): string | undefined {
  const { slot, value } = event;
  if (typeof slot !== "number" || slotKey(slot) === undefined)
    return `"slot" must be a JSON integer from 0 to 2^53-1, got ${JSON.stringify(slot) ?? "nothing"}`;
  if (typeof value !== "string")
    return `"value" must be a base64 string, got ${JSON.stringify(value) ?? "nothing"}`;
  if (!isPaddedBase64(value))
    return `"value" ${JSON.stringify(value.slice(0, 60))} is not standard padded base64 (RFC 4648 section 4)`;
  return undefined;
}

type SlotCall = Exclude<ConsCall, { proc: "CONS_NULL" }>;

function slotCall(call: unknown): SlotCall | undefined {
  if (typeof call !== "object" || call === null) return undefined;
  const c = call as ConsCall;
  return c.proc === "CONS_PROPOSE" || c.proc === "CONS_DECIDED" ? c : undefined;
}

function derive(trace: Trace): ConsensusHistory {
  const nodes = Array.isArray(trace.header.nodes) ? trace.header.nodes : [];
  const soleNode = nodes.length === 1 ? nodes[0] : undefined;
  const proposals: ConsOp[] = [];
  const queries: ConsOp[] = [];
  const lines: DecideLine[] = [];
  const malformed: MalformedLine[] = [];
  const outputs: Output[] = [];
  const byId = new Map<number, ConsOp>();
  const byConnXid = new Map<string, ConsOp>();
  const incarnation = new Map<NodeId, number>();
  let endStatus: ConsensusHistory["endStatus"];
  const events = trace.events;
  for (let index = 0; index < events.length; index++) {
    const e = events[index];
    if (!e) continue;
    switch (e.type) {
      case "op.invoke": {
        const call = slotCall(e.call);
        const slot = call ? slotKey(call.slot) : undefined;
        if (!call || slot === undefined || byId.has(e.op)) break;
        const value = call.proc === "CONS_PROPOSE" ? call.value : undefined;
        const op: ConsOp = {
          id: e.op,
          client: e.client,
          node: e.node ?? soleNode,
          proc: call.proc,
          slot,
          value: value === undefined ? undefined : valueKey(value),
          rawValue: value,
          invokeEvent: index,
          firstSend: undefined,
          answers: [],
        };
        byId.set(e.op, op);
        (call.proc === "CONS_PROPOSE" ? proposals : queries).push(op);
        break;
      }
      case "rpc.send": {
        const op = e.op === undefined ? undefined : byId.get(e.op);
        if (!op) break;
        op.firstSend ??= { event: index, t: e.t };
        byConnXid.set(`${e.conn}:${e.xid}`, op);
        break;
      }
      case "rpc.reply": {
        const op = byConnXid.get(`${e.conn}:${e.xid}`);
        // A reply recorded without its outcome (a cut trace) proves nothing.
        if (!op || e.outcome?.kind !== "success" || e.outcome.result.proc !== op.proc) break;
        const result = e.outcome.result as ConsResult;
        op.answers.push({ event: index, t: e.t, result });
        if (result.proc === "CONS_DECIDED" && result.decided && typeof result.value === "string") {
          outputs.push({
            kind: "answer",
            event: index,
            t: e.t,
            node: op.node,
            slot: op.slot,
            value: valueKey(result.value),
            rawValue: result.value,
            op: op.id,
          });
        }
        break;
      }
      case "node.start":
        incarnation.set(e.node, e.incarnation);
        break;
      case "node.event": {
        if (e.event?.type !== "decide") break;
        const reason = decideLineProblem(e.event);
        if (reason !== undefined) {
          malformed.push({ event: index, node: e.node, reason });
          break;
        }
        const rawValue = e.event.value as string;
        const line: DecideLine = {
          event: index,
          t: e.t,
          node: e.node,
          incarnation: incarnation.get(e.node) ?? 0,
          slot: slotKey(e.event.slot) ?? "",
          value: valueKey(rawValue),
          rawValue,
        };
        lines.push(line);
        outputs.push({ kind: "line", ...line });
        break;
      }
      case "end":
        endStatus = e.status;
        break;
    }
  }
  return {
    nodes,
    proposals,
    queries,
    lines,
    malformed,
    outputs,
    endT: events.at(-1)?.t ?? 0,
    endStatus,
  };
}

/** The first SUCCESS reply to any of these proposals (the first acknowledgement). */
export function firstAck(ops: readonly ConsOp[]): Answer | undefined {
  let first: Answer | undefined;
  for (const op of ops) {
    const a = op.answers[0];
    if (a && (!first || a.event < first.event)) first = a;
  }
  return first;
}

/** Groups items by a key, keeping their order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export const describeOutput = (o: Output): string =>
  o.kind === "line"
    ? `${o.node}'s decide line for slot ${o.slot} at ${o.t} ms`
    : `${o.node ?? "a node"}'s CONS_DECIDED answer for slot ${o.slot} at ${o.t} ms (op ${o.op})`;
