/**
 * Turns a trace and its check results into what the HTML viewer draws: lanes, and columnar
 * tables (one array per field) of operations, messages, node states, faults, marks and log
 * lines. Columns compress far better than one object per event and the page reads them
 * without building 100k objects. Everything is precomputed here so the page only draws.
 */
import type { CheckResult } from "../../check/types.ts";
import { correlate } from "../../inspect/correlate.ts";
import { describeEvent } from "../../inspect/describe-event.ts";
import { type CallDescriber, callDescriber } from "../../lab/call-describer.ts";
import { describeFault } from "../../net/describe-fault.ts";
import type { Fault, Trace, TraceEvent } from "../../trace/events.ts";

export type LaneKind = "harness" | "client" | "link" | "node";

export interface Lane {
  kind: LaneKind;
  name: string;
  /** Client lanes: how many rows overlapping operations need. */
  rows: number;
  /** Link lanes: the client and node they join (for the filters), when the name tells. */
  client?: string;
  node?: string;
}

/** Operation status codes in `ops.status`. */
export const OP_STATUS = { ok: 0, fail: 1, info: 2, pending: 3 } as const;
/** Transmission kinds in `msgs.kind`; "orphan" is a reply no transmission explains. */
export const MSG_KIND = { first: 0, retransmit: 1, duplicate: 2, orphan: 3 } as const;
/** Node states in `spans.state`. */
export const NODE_STATE = { starting: 0, up: 1, paused: 2, down: 3, failed: 4 } as const;
/** Point marks in `marks.kind`. */
export const MARK_KIND = {
  crash: 0,
  exit: 1,
  restart: 2,
  decide: 3,
  probe: 4,
  error: 5,
  end: 6,
  failed: 7,
  other: 8,
} as const;

/** The node state each plain lifecycle event enters, and the mark it leaves on the lane. */
const NODE_TRANSITIONS: Record<
  "node.ready" | "node.failed" | "node.pause" | "node.resume" | "node.kill",
  { state: number; mark?: number }
> = {
  "node.ready": { state: NODE_STATE.up },
  "node.failed": { state: NODE_STATE.failed, mark: MARK_KIND.failed },
  "node.pause": { state: NODE_STATE.paused },
  "node.resume": { state: NODE_STATE.up },
  "node.kill": { state: NODE_STATE.down, mark: MARK_KIND.crash },
};

export interface CheckView {
  property: string;
  verdict: CheckResult["verdict"];
  summary: string;
  evidence: EvidenceView[];
  /** Evidence items left out of the page (still in result.json). */
  omitted: number;
}

export interface EvidenceView {
  message: string;
  /** Indexes into `evidenceEvents`. */
  events: number[];
  ops: number[];
}

/** A trace event some evidence names: where it is drawn and what it says. */
export interface EvidenceEvent {
  index: number;
  t: number;
  lane: number;
  text: string;
  json: string;
}

export interface ViewModel {
  /** The numeric codes the tables use, so the page reads them from here, not a copy. */
  codes: {
    opStatus: typeof OP_STATUS;
    msgKind: typeof MSG_KIND;
    nodeState: typeof NODE_STATE;
    markKind: typeof MARK_KIND;
  };
  meta: {
    lab: string;
    scenario: string;
    seed: number;
    startedAt: string;
    reproduce: string;
    submission: string;
    harnessVersion: string;
    timeScale: number;
    endStatus: string;
    endMs: number;
    eventCount: number;
  };
  checks: CheckView[];
  lanes: Lane[];
  evidenceEvents: EvidenceEvent[];
  ops: {
    id: number[];
    lane: number[];
    row: number[];
    t0: number[];
    t1: number[];
    status: number[];
    label: string[];
    subject: string[];
    result: string[];
  };
  msgs: {
    t0: number[];
    /** -1: never answered. */
    t1: number[];
    lane: number[];
    /** Node lane, -1 when the link names no node. */
    node: number[];
    op: number[];
    kind: number[];
    /** 1 when the reply was an RPC SUCCESS. */
    success: number[];
    conn: number[];
    xid: number[];
    /** The reply as decoded; "" when none came. */
    reply: string[];
  };
  spans: { lane: number[]; t0: number[]; t1: number[]; state: number[] };
  faults: { lane: number[]; t0: number[]; t1: number[]; text: string[] };
  marks: { lane: number[]; t: number[]; kind: number[]; text: string[] };
  logs: { t: number[]; lane: number[]; stderr: number[]; line: string[] };
}

/** Past these sizes the page would be slower to read than the JSON; result.json has all. */
export const MAX_EVIDENCE_PER_CHECK = 200;
const MAX_LOG_LINE = 2000;
const MAX_EVENT_JSON = 2000;
const MAX_OP_ROWS = 6;

class LaneIndex {
  readonly lanes: Lane[] = [];
  private readonly byKey = new Map<string, number>();

  get(kind: LaneKind, name: string): number {
    const key = `${kind}:${name}`;
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.lanes.length;
      this.lanes.push({ kind, name, rows: 1 });
      this.byKey.set(key, index);
    }
    return index;
  }
}

/** The node a link leads to: "c1-n1" -> n1, "n1" -> n1, else the only node if there is one. */
function nodeOfLink(link: string, nodes: string[]): string | undefined {
  const exact = nodes.find((node) => link === node || link.endsWith(`-${node}`));
  return exact ?? (nodes.length === 1 ? nodes[0] : undefined);
}

/** The lanes a fault is drawn on: its link, its node(s), or every node a partition cuts. */
function faultTargets(fault: Fault, nodes: string[]): { kind: LaneKind; name: string }[] {
  switch (fault.kind) {
    case "crash":
    case "pause":
      return [{ kind: "node", name: fault.node }];
    case "crash-group":
    case "pause-group":
      return fault.nodes.map((name) => ({ kind: "node", name }));
    case "partition": {
      const cut = new Set(fault.cuts.flat().filter((name) => nodes.includes(name)));
      return [...cut].map((name) => ({ kind: "node", name }));
    }
    case "stable":
      return []; // not a fault: a period the schedule keeps free
    default:
      return [{ kind: "link", name: fault.link }];
  }
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;
}

export function buildViewModel(trace: Trace, checks: CheckResult[]): ViewModel {
  const nodes = nodesOf(trace);
  const endMs = trace.events.reduce((max, event) => Math.max(max, event.t), 0);
  const index = layoutLanes(trace.events, nodes);
  const model = emptyViewModel(trace, index.lanes, endMs);
  const plotter = new EventPlotter(trace, model, index, nodes);
  trace.events.forEach((event, at) => {
    plotter.plot(event, at);
  });
  plotter.finish();
  assignOpRows(model);
  const ctx: EvidenceContext = {
    trace,
    model,
    opLane: plotter.opLane,
    connLane: plotter.connLane,
    placed: new Map(),
    describe: plotter.describe,
  };
  model.checks = checks.map((check) => checkView(check, ctx));
  return model;
}

/** The header's nodes, then any other node an event names. */
function nodesOf({ header, events }: Trace): string[] {
  const nodes = [...header.nodes];
  for (const event of events) {
    if ("node" in event && typeof event.node === "string" && !nodes.includes(event.node)) {
      nodes.push(event.node);
    }
  }
  return nodes;
}

/** Fixed lane order: harness, clients (by first appearance), links, nodes. */
function layoutLanes(events: TraceEvent[], nodes: string[]): LaneIndex {
  const index = new LaneIndex();
  const clients: string[] = [];
  const links: string[] = [];
  for (const event of events) {
    if (
      (event.type === "op.invoke" || event.type === "conn.open") &&
      !clients.includes(event.client)
    )
      clients.push(event.client);
    if (event.type === "conn.open" && event.link !== "direct" && !links.includes(event.link))
      links.push(event.link);
    if (event.type === "nemesis.start") {
      for (const target of faultTargets(event.fault, nodes)) {
        if (target.kind === "link" && !links.includes(target.name)) links.push(target.name);
      }
    }
  }
  index.get("harness", "harness");
  for (const client of clients) index.get("client", client);
  for (const link of links) {
    const lane = index.lanes[index.get("link", link)] as Lane;
    const node = nodeOfLink(link, nodes);
    const client = clients.find((c) => link.startsWith(`${c}-`));
    if (node) lane.node = node;
    if (client) lane.client = client;
  }
  for (const node of nodes) index.get("node", node);
  return index;
}

function emptyViewModel({ header, events }: Trace, lanes: Lane[], endMs: number): ViewModel {
  return {
    codes: { opStatus: OP_STATUS, msgKind: MSG_KIND, nodeState: NODE_STATE, markKind: MARK_KIND },
    meta: {
      lab: header.lab,
      scenario: header.scenario,
      seed: header.seed,
      startedAt: header.startedAt,
      reproduce: header.reproduce,
      submission: header.submission.path,
      harnessVersion: header.harness.version,
      timeScale: header.timeScale,
      endStatus: "no end event (the run was cut off)",
      endMs,
      eventCount: events.length,
    },
    checks: [],
    lanes,
    evidenceEvents: [],
    ops: {
      id: [],
      lane: [],
      row: [],
      t0: [],
      t1: [],
      status: [],
      label: [],
      subject: [],
      result: [],
    },
    msgs: {
      t0: [],
      t1: [],
      lane: [],
      node: [],
      op: [],
      kind: [],
      success: [],
      conn: [],
      xid: [],
      reply: [],
    },
    spans: { lane: [], t0: [], t1: [], state: [] },
    faults: { lane: [], t0: [], t1: [], text: [] },
    marks: { lane: [], t: [], kind: [], text: [] },
    logs: { t: [], lane: [], stderr: [], line: [] },
  };
}

/** The harness lane is always the first (layoutLanes). */
const HARNESS_LANE = 0;

/** Fills the model's tables from the trace's events, one at a time, in order. */
class EventPlotter {
  readonly opLane = new Map<number, number>();
  readonly connLane = new Map<number, { client: number; node: number }>();
  /** An event as inspect tells it (one describer for both): "n1 killed with SIGKILL...". */
  readonly describe: (at: number) => string;
  readonly #calls: CallDescriber;
  readonly #opRow = new Map<number, number>(); // op id -> row in `ops`
  readonly #unanswered = new Map<string, number[]>(); // "conn/xid" -> rows in `msgs`, oldest first
  readonly #openFaults = new Map<number, number[]>(); // fault id -> rows in `faults`
  readonly #nodeState = new Map<number, { state: number; since: number }>();

  private readonly model: ViewModel;
  private readonly index: LaneIndex;
  private readonly nodes: string[];

  constructor(trace: Trace, model: ViewModel, index: LaneIndex, nodes: string[]) {
    this.model = model;
    this.index = index;
    this.nodes = nodes;
    this.#calls = callDescriber(trace.header.lab);
    const correlation = correlate(trace);
    this.describe = (at) => {
      const { actor, what } = describeEvent(trace, correlation, at);
      return `${actor} ${what}`;
    };
  }

  plot(event: TraceEvent, at: number): void {
    switch (event.type) {
      case "op.invoke":
        this.#invoke(event);
        break;
      case "op.ok":
        this.#completeOp(event.op, event.t, OP_STATUS.ok, this.#calls.outcome(event.outcome));
        break;
      case "op.fail":
        this.#completeOp(event.op, event.t, OP_STATUS.fail, `failed: ${event.reason}`);
        break;
      case "op.info":
        this.#completeOp(event.op, event.t, OP_STATUS.info, `indeterminate: ${event.reason}`);
        break;
      case "conn.open": {
        const node = nodeOfLink(event.link, this.nodes);
        this.connLane.set(event.conn, {
          client: this.index.get("client", event.client),
          node: node === undefined ? -1 : this.index.get("node", node),
        });
        break;
      }
      case "rpc.send":
        this.#send(event);
        break;
      case "rpc.reply":
        this.#reply(event);
        break;
      case "node.start":
      case "node.ready":
      case "node.failed":
      case "node.pause":
      case "node.resume":
      case "node.kill":
      case "node.exit":
        this.#lifecycle(event, at);
        break;
      case "node.event": {
        const lab = this.#calls.isLabEvent(event.event);
        this.#mark(
          this.index.get("node", event.node),
          event.t,
          lab ? MARK_KIND.decide : MARK_KIND.other,
          cut(this.#calls.nodeEvent(event.event), MAX_LOG_LINE),
        );
        break;
      }
      case "node.log":
      case "node.log.dropped":
        this.#log(event);
        break;
      case "nemesis.start":
      case "nemesis.stop":
        this.#fault(event);
        break;
      case "probe":
      case "nemesis.skip":
        this.#mark(HARNESS_LANE, event.t, MARK_KIND.probe, this.describe(at));
        break;
      case "net.repair":
      case "harness.error":
        this.#mark(HARNESS_LANE, event.t, MARK_KIND.error, this.describe(at));
        break;
      case "net.verify":
        // The checks that found the network as set are many and say nothing: only the others.
        if (event.mismatches.length > 0)
          this.#mark(HARNESS_LANE, event.t, MARK_KIND.error, this.describe(at));
        break;
      case "end":
        this.model.meta.endStatus = event.status + (event.reason ? ` (${event.reason})` : "");
        this.#mark(HARNESS_LANE, event.t, MARK_KIND.end, this.describe(at));
        break;
      default:
        break; // node.memory, conn.close and event types newer than this viewer
    }
  }

  /** Closes the node state spans still open at the end of the trace. */
  finish(): void {
    for (const lane of this.#nodeState.keys())
      this.#setState(lane, this.model.meta.endMs, undefined);
  }

  #invoke(event: Extract<TraceEvent, { type: "op.invoke" }>): void {
    const { ops } = this.model;
    const lane = this.index.get("client", event.client);
    this.#opRow.set(event.op, ops.id.length);
    this.opLane.set(event.op, lane);
    ops.id.push(event.op);
    ops.lane.push(lane);
    ops.row.push(0);
    ops.t0.push(event.t);
    ops.t1.push(this.model.meta.endMs);
    ops.status.push(OP_STATUS.pending);
    ops.label.push(this.#calls.call(event.call));
    ops.subject.push(this.#calls.subject(event.call));
    ops.result.push("no answer before the run ended");
  }

  #completeOp(op: number, t: number, status: number, result: string): void {
    const { ops } = this.model;
    const row = this.#opRow.get(op);
    if (row === undefined || ops.status[row] !== OP_STATUS.pending) return;
    ops.t1[row] = t;
    ops.status[row] = status;
    ops.result[row] = result;
  }

  #send(event: Extract<TraceEvent, { type: "rpc.send" }>): void {
    const { msgs } = this.model;
    const conn = this.connLane.get(event.conn);
    const lane =
      conn?.client ??
      (event.op === undefined ? undefined : this.opLane.get(event.op)) ??
      HARNESS_LANE;
    const key = `${event.conn}/${event.xid}`;
    this.#unanswered.set(key, [...(this.#unanswered.get(key) ?? []), msgs.t0.length]);
    const onlyNode = this.nodes.length === 1 ? this.index.get("node", this.nodes[0] as string) : -1;
    this.#pushMsg({
      t0: event.t,
      t1: -1,
      lane,
      node: conn?.node ?? onlyNode,
      op: event.op ?? -1,
      kind: MSG_KIND[event.kind],
      success: 0,
      conn: event.conn,
      xid: event.xid,
      reply: "",
    });
  }

  #reply(event: Extract<TraceEvent, { type: "rpc.reply" }>): void {
    const { msgs } = this.model;
    const row = this.#unanswered.get(`${event.conn}/${event.xid}`)?.shift();
    const success = event.outcome.kind === "success" ? 1 : 0;
    const reply = this.#calls.outcome(event.outcome);
    if (row !== undefined) {
      msgs.t1[row] = event.t;
      msgs.success[row] = success;
      msgs.reply[row] = reply;
      return;
    }
    const conn = this.connLane.get(event.conn);
    this.#pushMsg({
      t0: -1,
      t1: event.t,
      lane: conn?.client ?? HARNESS_LANE,
      node: conn?.node ?? -1,
      op: -1,
      kind: MSG_KIND.orphan,
      success,
      conn: event.conn,
      xid: event.xid,
      reply,
    });
  }

  #pushMsg(row: { [K in keyof ViewModel["msgs"]]: ViewModel["msgs"][K][number] }): void {
    const { msgs } = this.model;
    for (const field of Object.keys(row) as (keyof typeof row)[]) {
      (msgs[field] as (string | number)[]).push(row[field]);
    }
  }

  #lifecycle(
    event: Extract<
      TraceEvent,
      { type: "node.start" | "node.exit" | keyof typeof NODE_TRANSITIONS }
    >,
    at: number,
  ): void {
    const lane = this.index.get("node", event.node);
    if (event.type === "node.start") {
      this.#setState(lane, event.t, NODE_STATE.starting);
      if (event.incarnation > 1) this.#mark(lane, event.t, MARK_KIND.restart, this.describe(at));
    } else if (event.type === "node.exit") {
      if (!event.expected) this.#mark(lane, event.t, MARK_KIND.exit, this.describe(at));
      if (this.#nodeState.get(lane)?.state !== NODE_STATE.failed)
        this.#setState(lane, event.t, NODE_STATE.down);
    } else {
      const transition = NODE_TRANSITIONS[event.type];
      this.#setState(lane, event.t, transition.state);
      if (transition.mark !== undefined)
        this.#mark(lane, event.t, transition.mark, this.describe(at));
    }
  }

  #log(event: Extract<TraceEvent, { type: "node.log" | "node.log.dropped" }>): void {
    const { logs } = this.model;
    logs.t.push(event.t);
    logs.lane.push(this.index.get("node", event.node));
    logs.stderr.push(event.type === "node.log" && event.stream === "stdout" ? 0 : 1);
    logs.line.push(
      event.type === "node.log"
        ? cut(event.line, MAX_LOG_LINE)
        : `[${event.lines} lines (${event.bytes} bytes) past the log budget were dropped]`,
    );
  }

  #fault(event: Extract<TraceEvent, { type: "nemesis.start" | "nemesis.stop" }>): void {
    const { faults } = this.model;
    if (event.type === "nemesis.stop") {
      for (const row of this.#openFaults.get(event.id) ?? []) faults.t1[row] = event.t;
      this.#openFaults.delete(event.id);
      return;
    }
    const rows: number[] = [];
    for (const target of faultTargets(event.fault, this.nodes)) {
      rows.push(faults.t0.length);
      faults.lane.push(this.index.get(target.kind, target.name));
      faults.t0.push(event.t);
      faults.t1.push(this.model.meta.endMs);
      faults.text.push(`fault ${event.id}: ${describeFault(event.fault)}`);
    }
    this.#openFaults.set(event.id, rows);
  }

  #mark(lane: number, t: number, kind: number, text: string): void {
    const { marks } = this.model;
    marks.lane.push(lane);
    marks.t.push(t);
    marks.kind.push(kind);
    marks.text.push(text);
  }

  #setState(lane: number, t: number, state: number | undefined): void {
    const { spans } = this.model;
    const current = this.#nodeState.get(lane);
    if (current && current.state !== state) {
      spans.lane.push(lane);
      spans.t0.push(current.since);
      spans.t1.push(t);
      spans.state.push(current.state);
    }
    if (state === undefined) this.#nodeState.delete(lane);
    else if (!current || current.state !== state) this.#nodeState.set(lane, { state, since: t });
  }
}

/** Overlapping operations of one client go on separate rows (greedy, first free row). */
function assignOpRows(model: ViewModel): void {
  const rowEnds = new Map<number, number[]>();
  const { ops, lanes } = model;
  for (let i = 0; i < ops.id.length; i++) {
    const lane = ops.lane[i] as number;
    const ends = rowEnds.get(lane) ?? [];
    rowEnds.set(lane, ends);
    const t0 = ops.t0[i] as number;
    let row = ends.findIndex((end) => end <= t0);
    if (row === -1) row = ends.length < MAX_OP_ROWS ? ends.length : MAX_OP_ROWS - 1;
    ends[row] = Math.max(ends[row] ?? 0, ops.t1[i] as number);
    ops.row[i] = row;
    const laneInfo = lanes[lane] as Lane;
    laneInfo.rows = Math.max(laneInfo.rows, row + 1);
  }
}

/** What the evidence placement needs from the model build. */
interface EvidenceContext {
  trace: Trace;
  model: ViewModel;
  opLane: Map<number, number>;
  connLane: Map<number, { client: number; node: number }>;
  /** Trace event index -> position in `model.evidenceEvents`. */
  placed: Map<number, number>;
  describe: (at: number) => string;
}

function checkView(check: CheckResult, ctx: EvidenceContext): CheckView {
  const shown = check.evidence.slice(0, MAX_EVIDENCE_PER_CHECK);
  return {
    property: check.property,
    verdict: check.verdict,
    summary: check.summary,
    omitted: check.evidence.length - shown.length,
    evidence: shown.map((evidence) => ({
      message: evidence.message,
      ops: evidence.ops ?? [],
      events: evidence.events
        .filter((i) => ctx.trace.events[i] !== undefined)
        .map((i) => evidenceEvent(i, ctx)),
    })),
  };
}

/** Registers (once) the event at `index` among the evidence events and returns its position. */
function evidenceEvent(index: number, ctx: EvidenceContext): number {
  const known = ctx.placed.get(index);
  if (known !== undefined) return known;
  const event = ctx.trace.events[index] as TraceEvent;
  const events = ctx.model.evidenceEvents;
  events.push({
    index,
    t: event.t,
    lane: laneOfEvent(event, ctx),
    text: ctx.describe(index),
    json: cut(JSON.stringify(event), MAX_EVENT_JSON),
  });
  ctx.placed.set(index, events.length - 1);
  return events.length - 1;
}

function laneOfEvent(event: TraceEvent, ctx: EvidenceContext): number {
  const find = (kind: LaneKind, name: string) =>
    Math.max(
      0,
      ctx.model.lanes.findIndex((lane) => lane.kind === kind && lane.name === name),
    );
  if ("op" in event && typeof event.op === "number" && ctx.opLane.has(event.op))
    return ctx.opLane.get(event.op) as number;
  const conn = "conn" in event ? ctx.connLane.get(event.conn) : undefined;
  if (conn) return conn.client;
  if ("node" in event && typeof event.node === "string") return find("node", event.node);
  if (event.type === "nemesis.start" || event.type === "nemesis.stop") {
    const target = faultTargets(event.fault, ctx.trace.header.nodes)[0];
    if (target) return find(target.kind, target.name);
  }
  return 0; // the harness lane
}
