/**
 * Which events `dslab inspect --events` shows. Every filter given must hold (they narrow
 * together); an event is "about" a client, node, or what a lab's filter names (a key, a slot)
 * through the op or the connection it belongs to (see correlate.ts), so a reply is found by
 * the call it answers.
 */
import type { CallFilter } from "../lab/lab.ts";
import { findLab, isLabName } from "../lab/registry.ts";
import type { ProgramCall } from "../rpc/program.ts";
import type { Fault, Trace, TraceEvent } from "../trace/events.ts";
import type { Correlation } from "./correlate.ts";

export interface EventFilter {
  node?: string;
  client?: string;
  /** The trace's lab's filters by option name: lab 1's key, lab 2's slot (Lab.filters). */
  about?: Readonly<Record<string, string>>;
  op?: number;
  fromMs?: number;
  toMs?: number;
  types?: string[];
}

export function isEmptyFilter(filter: EventFilter): boolean {
  const { about, ...rest } = filter;
  return (
    Object.keys(about ?? {}).length === 0 &&
    Object.values(rest).every((value) => value === undefined)
  );
}

/** The filters of the trace's lab (none for a lab this dslab does not know). */
export function labFilters(trace: Trace): readonly CallFilter[] {
  return isLabName(trace.header.lab) ? (findLab(trace.header.lab).filters ?? []) : [];
}

/**
 * Why the `about` options cannot apply to this trace (an option its lab does not have), or
 * undefined when they can.
 */
export function aboutProblem(
  trace: Trace,
  about: Readonly<Record<string, string>>,
): string | undefined {
  const filters = labFilters(trace);
  const missing = Object.keys(about).filter((name) => !filters.some((f) => f.option === name));
  if (missing.length === 0) return undefined;
  const has = filters.map((f) => `--${f.option}`).join(", ") || "none";
  return `--${missing[0]} does not apply to this trace: its lab, ${trace.header.lab}, has the filters: ${has}`;
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

/** Whether the event's call (or, for a node.event, the node's event) is about `value`. */
function aboutThing(
  c: Correlation,
  { e, op }: Subject,
  filter: CallFilter,
  value: string,
  isCall: (call: ProgramCall) => boolean,
): boolean {
  if (e.type === "node.event") return filter.matchesNodeEvent?.(e.event, value) ?? false;
  const call = op !== undefined ? c.ops.get(op)?.call : undefined;
  return call !== undefined && isCall(call) && filter.matchesCall(call, value);
}

/** Indexes of the events that pass every filter given, in trace order. */
export function selectEvents(trace: Trace, c: Correlation, filter: EventFilter): number[] {
  const types = filter.types ? new Set(filter.types) : undefined;
  const filters = labFilters(trace);
  const program = isLabName(trace.header.lab) ? findLab(trace.header.lab).program : undefined;
  const isCall = (call: ProgramCall) => program?.isCall(call) ?? false;
  // An option the lab does not have matches nothing (the CLI refuses it first: aboutProblem).
  const about = Object.entries(filter.about ?? {}).map(([name, value]) => ({
    filter: filters.find((f) => f.option === name),
    value,
  }));
  const selected: number[] = [];
  trace.events.forEach((e, index) => {
    const subject: Subject = { e, op: c.opOf[index], conn: c.connOf[index] };
    if (filter.fromMs !== undefined && e.t < filter.fromMs) return;
    if (filter.toMs !== undefined && e.t > filter.toMs) return;
    if (types && !types.has(e.type)) return;
    if (filter.op !== undefined && subject.op !== filter.op) return;
    if (filter.client !== undefined && !aboutClient(c, subject, filter.client)) return;
    if (filter.node !== undefined && !aboutNode(c, subject, filter.node)) return;
    for (const { filter: labFilter, value } of about) {
      if (!labFilter || !aboutThing(c, subject, labFilter, value, isCall)) return;
    }
    selected.push(index);
  });
  return selected;
}
