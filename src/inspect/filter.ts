/**
 * Which events `dslab inspect --events` shows. Every filter given must hold (they narrow
 * together); an event is "about" a client, node, key or slot through the op or the connection
 * it belongs to (see correlate.ts), so a reply is found by the call it answers.
 */
import type { Fault, Trace, TraceEvent } from "../trace/events.ts";
import type { Correlation } from "./correlate.ts";

export interface EventFilter {
  node?: string;
  client?: string;
  /** Lab 1: the key and its subtree ("/" is every key). */
  key?: string;
  /** Lab 2: CONS_* calls with this slot and decide events for it. */
  slot?: string;
  op?: number;
  fromMs?: number;
  toMs?: number;
  types?: string[];
}

export function isEmptyFilter(filter: EventFilter): boolean {
  return Object.values(filter).every((value) => value === undefined);
}

/** Links are named `${from}-${to}` (linkName in src/lab/run-scenario.ts): a node is either end. */
const linkOfNode = (link: string, node: string): boolean =>
  link.endsWith(`-${node}`) || link.startsWith(`${node}-`);
const linkOfClient = (link: string, client: string): boolean => link.startsWith(`${client}-`);

/** Whether a fault concerns a node or a client: its link, the nodes it stops, a partition side. */
function faultConcerns(fault: Fault, party: { node: string } | { client: string }): boolean {
  if ("link" in fault) {
    return "node" in party
      ? linkOfNode(fault.link, party.node)
      : linkOfClient(fault.link, party.client);
  }
  const name = "node" in party ? party.node : party.client;
  if ("node" in fault) return fault.node === name;
  if ("nodes" in fault) return fault.nodes.includes(name);
  if ("cuts" in fault) return fault.cuts.some(([from, to]) => from === name || to === name);
  return false;
}

/** The fault a nemesis event is about (started, stopped or skipped). */
function faultOf(e: TraceEvent): Fault | undefined {
  const about =
    e.type === "nemesis.start" || e.type === "nemesis.stop" || e.type === "nemesis.skip";
  return about ? e.fault : undefined;
}

const inSubtree = (key: string, root: string): boolean =>
  root === "/" || key === root || key.startsWith(`${root}/`);

interface Subject {
  e: TraceEvent;
  op: number | undefined;
  conn: number | undefined;
}

function aboutClient(c: Correlation, { e, op, conn }: Subject, client: string): boolean {
  if ("client" in e) return e.client === client;
  if (op !== undefined) return c.ops.get(op)?.client === client;
  if (conn !== undefined) return c.conns.get(conn)?.client === client;
  const fault = faultOf(e);
  return fault !== undefined && faultConcerns(fault, { client });
}

function aboutNode(c: Correlation, { e, op, conn }: Subject, node: string): boolean {
  if ("node" in e && e.node !== undefined) return e.node === node;
  const linkTo = (conn: number | undefined): boolean => {
    const link = conn === undefined ? undefined : c.conns.get(conn)?.link;
    return link !== undefined && linkOfNode(link, node);
  };
  if (conn !== undefined) return linkTo(conn);
  const record = op === undefined ? undefined : c.ops.get(op);
  // An op names its node only in labs with several; otherwise its transmissions' links do.
  if (record)
    return record.node ? record.node === node : record.sends.some((i) => linkTo(c.connOf[i]));
  const fault = faultOf(e);
  return fault !== undefined && faultConcerns(fault, { node });
}

function aboutKey(c: Correlation, { op }: Subject, key: string): boolean {
  const call = op !== undefined ? c.ops.get(op)?.call : undefined;
  return (
    call !== undefined && "key" in call && typeof call.key === "string" && inSubtree(call.key, key)
  );
}

function aboutSlot(c: Correlation, { e, op }: Subject, slot: string): boolean {
  if (e.type === "node.event") return e.event.slot !== undefined && String(e.event.slot) === slot;
  const call = op !== undefined ? c.ops.get(op)?.call : undefined;
  return call !== undefined && "slot" in call && call.slot === slot;
}

/** Indexes of the events that pass every filter given, in trace order. */
export function selectEvents(trace: Trace, c: Correlation, filter: EventFilter): number[] {
  const types = filter.types ? new Set(filter.types) : undefined;
  const selected: number[] = [];
  trace.events.forEach((e, index) => {
    const subject: Subject = { e, op: c.opOf[index], conn: c.connOf[index] };
    if (filter.fromMs !== undefined && e.t < filter.fromMs) return;
    if (filter.toMs !== undefined && e.t > filter.toMs) return;
    if (types && !types.has(e.type)) return;
    if (filter.op !== undefined && subject.op !== filter.op) return;
    if (filter.client !== undefined && !aboutClient(c, subject, filter.client)) return;
    if (filter.node !== undefined && !aboutNode(c, subject, filter.node)) return;
    if (filter.key !== undefined && !aboutKey(c, subject, filter.key)) return;
    if (filter.slot !== undefined && !aboutSlot(c, subject, filter.slot)) return;
    selected.push(index);
  });
  return selected;
}
