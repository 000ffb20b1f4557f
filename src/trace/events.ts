/**
 * The trace: one JSON Lines file per scenario run, the single artifact that a student, CI and a
 * TA all read. This file is the contract (documented in docs/trace-format.md); bump
 * TRACE_VERSION on any change that an old reader would misread.
 *
 * Every event carries `t`: milliseconds since the run started, from a monotonic clock, so the
 * order of `t` is the real-time order the checkers rely on. The first line is the header.
 */
import type { ProgramCall } from "../rpc/program.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";

export const TRACE_FORMAT = "dslab-trace";
export const TRACE_VERSION = 1;

export type NodeId = string;

/** A fault the nemesis can inject; `target` names a link (proxy) or a node. */
export type Fault =
  | { kind: "latency"; link: string; direction: Direction; latencyMs: number; jitterMs: number }
  | { kind: "blackhole"; link: string; direction: Direction }
  | { kind: "reset"; link: string; direction: Direction }
  | { kind: "truncate"; link: string; direction: Direction; bytes: number }
  | {
      kind: "slice";
      link: string;
      direction: Direction;
      averageSize: number;
      sizeVariation: number;
      delayUs: number;
    }
  | { kind: "bandwidth"; link: string; direction: Direction; rateKBps: number }
  | { kind: "link-down"; link: string }
  | { kind: "crash"; node: NodeId; restartAfterMs: number }
  | { kind: "pause"; node: NodeId }
  /** Lab 2: each cut [from, to] drops every byte from sends towards to (nodes or clients). */
  | { kind: "partition"; name: string; cuts: Array<[string, string]> }
  /** Lab 2: several nodes killed at once, restarted together. */
  | { kind: "crash-group"; nodes: NodeId[]; restartAfterMs: number }
  | { kind: "pause-group"; nodes: NodeId[] }
  /** Not a fault: a stable period that the schedule leaves free (availability is graded). */
  | { kind: "stable" };

/** Toxiproxy's stream names: upstream is client-to-server, downstream server-to-client. */
export type Direction = "upstream" | "downstream";

/** One planned fault: active from `atMs` for `durationMs` (scaled times, as run). */
export interface ScheduledFault {
  id: number;
  atMs: number;
  durationMs: number;
  fault: Fault;
}

export interface TraceHeader {
  type: "header";
  t: 0;
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  lab: string;
  scenario: string;
  seed: number;
  /** Wall-clock start, ISO 8601; only for humans (checkers use `t`). */
  startedAt: string;
  harness: { name: "dslab"; version: string; node: string };
  submission: { path: string; manifest: unknown };
  runtime: "process" | "docker";
  timeScale: number;
  nodes: NodeId[];
  /** The fault schedule drawn from the seed, before it ran. */
  schedule: ScheduledFault[];
  /** The command that reproduces this run. */
  reproduce: string;
  /** Scenario parameters as run (workload sizes, probe name...). */
  params: Record<string, unknown>;
  /**
   * The end event carries a digest of this algorithm (src/trace/digest.ts); absent in traces
   * written before dslab recorded one.
   */
  digest?: "sha256";
}

export interface NodeStartEvent {
  type: "node.start";
  t: number;
  node: NodeId;
  incarnation: number;
  pid: number;
  port: number;
  dataDir: string;
}
export interface NodeReadyEvent {
  type: "node.ready";
  t: number;
  node: NodeId;
  incarnation: number;
}
/** The node did not become ready in time, or could not be started. */
export interface NodeFailedEvent {
  type: "node.failed";
  t: number;
  node: NodeId;
  incarnation: number;
  reason: string;
}
export interface NodeKillEvent {
  type: "node.kill";
  t: number;
  node: NodeId;
  incarnation: number;
}
export interface NodeExitEvent {
  type: "node.exit";
  t: number;
  node: NodeId;
  incarnation: number;
  code: number | null;
  signal: string | null;
  /** true when the harness killed it (crash fault or end of run). */
  expected: boolean;
}
export interface NodePauseEvent {
  type: "node.pause" | "node.resume";
  t: number;
  node: NodeId;
  incarnation: number;
}
export interface NodeLogEvent {
  type: "node.log";
  t: number;
  node: NodeId;
  stream: "stdout" | "stderr";
  line: string;
}
/** Log lines past the per-node limit are counted, not kept. */
export interface NodeLogDroppedEvent {
  type: "node.log.dropped";
  t: number;
  node: NodeId;
  lines: number;
  bytes: number;
}
/** A stdout JSON line whose "type" the lab defines (lab 2's decisions). */
export interface NodeOutputEvent {
  type: "node.event";
  t: number;
  node: NodeId;
  event: Record<string, unknown>;
}
/** Resident memory of the node's process group, sampled by the runtime. */
export interface NodeMemoryEvent {
  type: "node.memory";
  t: number;
  node: NodeId;
  rssKiB: number;
}

export interface NemesisEvent {
  type: "nemesis.start" | "nemesis.stop";
  t: number;
  id: number;
  fault: Fault;
  /** For a reactive fault (not in header.schedule): the event it answered. */
  trigger?: NemesisTrigger;
  /** A reactive isolation: what ends it (on nemesis.start and nemesis.stop). */
  endsWhen?: NemesisEndsWhen;
  /** A reactive isolation's nemesis.stop: what ended it. */
  ended?: NemesisEnded;
}

/**
 * A reactive isolation ends once fault `after` has ended (a crash: its nodes ready again) and
 * every node of `decidedBy` has output a decision for the trigger's slot since the trigger; or
 * maxHoldMs (scaled) after fault `after` ended, whichever comes first.
 */
export interface NemesisEndsWhen {
  after: number;
  decidedBy: NodeId[];
  maxHoldMs: number;
}

/**
 * Why a reactive isolation ended: `decided` (every awaited node output the slot's decision),
 * `max-hold` (maxHoldMs passed; `undecided` lists who had not), `restart-failed` (a crashed
 * node did not come back: nothing more to wait for), `final-heal` (the run was stopped).
 */
export interface NemesisEnded {
  by: "decided" | "max-hold" | "restart-failed" | "final-heal";
  undecided?: NodeId[];
}

/** What made the nemesis react: the `firing`-th firing of plan reaction `reaction`. */
export interface NemesisTrigger {
  reaction: number;
  firing: number;
  /** A node's first decision of a slot, or its SUCCESS reply to a call. */
  event: "decide" | "reply";
  node: NodeId;
  slot?: number;
  /** A reply's call: the connection and xid it answered. */
  conn?: number;
  xid?: number;
  /** The triggering event's t. */
  t: number;
}

/** A crash or pause fault not injected: none of its nodes was up when it was due. */
export interface NemesisSkipEvent {
  type: "nemesis.skip";
  t: number;
  id: number;
  fault: Fault;
  trigger?: NemesisTrigger;
  /** Each node and why it was not up, as far as the nemesis knows. */
  reason: string;
}

/** The final heal completed: no link fault, no paused node, every crashed node restarted. */
export interface NemesisHealEvent {
  type: "nemesis.heal";
  t: number;
}

/** A client operation, Jepsen style: invoke, then ok / fail / info (indeterminate). */
export interface OpInvokeEvent {
  type: "op.invoke";
  t: number;
  op: number;
  client: string;
  /** The node the client addressed (labs with several nodes). */
  node?: NodeId;
  /** As the lab's program defines it (labs/<lab>/protocol). */
  call: ProgramCall;
}
export interface OpOkEvent {
  type: "op.ok";
  t: number;
  op: number;
  outcome: ReplyOutcome;
}
export interface OpFailEvent {
  type: "op.fail";
  t: number;
  op: number;
  reason: string;
}
export interface OpInfoEvent {
  type: "op.info";
  t: number;
  op: number;
  reason: string;
}

/** Credentials as sent: AUTH_AMO decoded, anything else as flavor plus raw body. */
export type SentCredential =
  | { flavor: "AUTH_AMO"; clientId: string; cookie: string; ackedXid: number }
  | { flavor: "AUTH_NONE" }
  | { flavor: "raw"; flavorNumber: number; bodyHex: string };

export interface ConnOpenEvent {
  type: "conn.open";
  t: number;
  conn: number;
  client: string;
  /** The proxy link it goes through, or "direct". */
  link: string;
}
export interface ConnCloseEvent {
  type: "conn.close";
  t: number;
  conn: number;
  reason: string;
}

/**
 * One transmission of a call. `op` links it to a client operation (absent for raw probe
 * traffic). The header fields are as sent, so a checker can derive the reply the contract
 * requires; `deviation` says what a probe deliberately made wrong.
 */
export interface RpcSendEvent {
  type: "rpc.send";
  t: number;
  conn: number;
  xid: number;
  op?: number;
  kind: "first" | "retransmit" | "duplicate";
  prog: number;
  vers: number;
  proc: number;
  cred: SentCredential;
  deviation?: "garbage-args" | "bad-rpcvers" | "not-a-call";
  bytes: number;
}
export interface RpcReplyEvent {
  type: "rpc.reply";
  t: number;
  conn: number;
  xid: number;
  outcome: ReplyOutcome;
  bytes: number;
}

/** Directed probes say what they are doing, for humans and for their checkers. */
export interface ProbeEvent {
  type: "probe";
  t: number;
  probe: string;
  step: string;
  detail?: Record<string, unknown>;
}

/**
 * A link's proxy stopped answering (Toxiproxy's deadlock, Shopify/toxiproxy#558) and was
 * recreated as it should be: the link's open connections closed at this point, as a reset.
 */
export interface NetRepairEvent {
  type: "net.repair";
  t: number;
  link: string;
  reason: string;
}

/** One way the fault network was found other than it should be (see NetVerifyEvent). */
export interface LinkMismatch {
  link: string;
  /**
   * What differs: the link's "proxy" (missing), its "enabled" flag, "listen" address,
   * "upstream" or "toxics" as the Toxiproxy API reports them; a "listener" or "connection" at
   * its address held by another process than toxiproxy-server; or a "change" dslab made that
   * the server refused because what it changed was gone.
   */
  what:
    | "proxy"
    | "enabled"
    | "listen"
    | "upstream"
    | "toxics"
    | "listener"
    | "connection"
    | "change";
  wanted: string;
  found: string;
}

/**
 * The fault network checked against what it should be, after fault changes and at the end of
 * the run: every link no change was under way on was compared (its proxy, listen address,
 * upstream, enabled flag and toxics), and, where the runtime lets dslab see sockets, who holds
 * the listener and the connections at each proxy's address.
 */
export interface NetVerifyEvent {
  type: "net.verify";
  t: number;
  /** The check after the final heal. */
  final?: true;
  /** How many links were compared. */
  links: number;
  /** Connections toxiproxy-server held at the proxies' addresses; absent when not inspected. */
  connections?: number;
  mismatches: LinkMismatch[];
  /**
   * What could not be read: the proxies' state (then `links` is 0, nothing was compared), or
   * only their sockets (the API's state was compared).
   */
  error?: string;
}

/** The harness itself failed or was interrupted; the trace up to here is still valid. */
export interface HarnessEvent {
  type: "harness.error";
  t: number;
  message: string;
}

export interface EndEvent {
  type: "end";
  t: number;
  status: "completed" | "interrupted" | "aborted";
  reason?: string;
  /** SHA-256 (hex) of every line before this one, when the header announces a digest. */
  digest?: string;
}

export type TraceEvent =
  | NodeStartEvent
  | NodeReadyEvent
  | NodeFailedEvent
  | NodeKillEvent
  | NodeExitEvent
  | NodePauseEvent
  | NodeLogEvent
  | NodeLogDroppedEvent
  | NodeOutputEvent
  | NodeMemoryEvent
  | NemesisEvent
  | NemesisSkipEvent
  | NemesisHealEvent
  | OpInvokeEvent
  | OpOkEvent
  | OpFailEvent
  | OpInfoEvent
  | ConnOpenEvent
  | ConnCloseEvent
  | RpcSendEvent
  | RpcReplyEvent
  | ProbeEvent
  | NetRepairEvent
  | NetVerifyEvent
  | HarnessEvent
  | EndEvent;

export interface Trace {
  header: TraceHeader;
  events: TraceEvent[];
}

/**
 * Every event type this version defines (the compiler keeps the list whole). Readers skip
 * other types: a newer dslab may add some without changing the version.
 */
export const EVENT_TYPES: ReadonlySet<string> = new Set(
  Object.keys({
    "node.start": true,
    "node.ready": true,
    "node.failed": true,
    "node.kill": true,
    "node.exit": true,
    "node.pause": true,
    "node.resume": true,
    "node.log": true,
    "node.log.dropped": true,
    "node.event": true,
    "node.memory": true,
    "nemesis.start": true,
    "nemesis.stop": true,
    "nemesis.skip": true,
    "nemesis.heal": true,
    "op.invoke": true,
    "op.ok": true,
    "op.fail": true,
    "op.info": true,
    "conn.open": true,
    "conn.close": true,
    "rpc.send": true,
    "rpc.reply": true,
    probe: true,
    "net.repair": true,
    "net.verify": true,
    "harness.error": true,
    end: true,
  } satisfies Record<TraceEvent["type"], true>),
);
