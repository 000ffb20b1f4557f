/**
 * A client of any lab's program that speaks AUTH_AMO the way the course's clients do: it learns
 * the boot cookie with the program's boot call (lab 1's KV_BOOT), numbers its calls with strictly increasing xids, retransmits a call with
 * the same xid on timeout (on the same or a new connection), re-learns the cookie after
 * AUTH_REJECTEDCRED and gives that call up as "I don't know", and acknowledges replies through
 * acked_xid. It can also re-send completed calls, as a lost reply or a late duplicate would.
 * With AUTH_NONE it is the plain retrying client of any lab (lab 2's proposals and queries).
 */
import { AUTH_AMO, encodeAmoCred } from "../rpc/amo-credential.ts";
import { AUTH_NONE_AUTH, type CallMessage, encodeCall } from "../rpc/message.ts";
import {
  encodeProgramCall,
  type ProgramCall,
  type ProgramResult,
  type RpcProgram,
} from "../rpc/program.ts";
import { encodeRecord } from "../rpc/record.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";
import { compactOutcome } from "../trace/compact-values.ts";
import type { SentCredential } from "../trace/events.ts";
import type { Endpoint, RpcRecorder, TracedCall, TracedConnection } from "./traced-connection.ts";

/** How a client learns the server's boot cookie: a call, and the cookie in its result. */
export interface BootCall<Call extends ProgramCall, Result extends ProgramResult> {
  call: Call;
  cookie(result: Result): bigint | undefined;
}

export interface AmoClientOptions<
  Call extends ProgramCall = ProgramCall,
  Result extends ProgramResult = ProgramResult,
> {
  name: string;
  /** The program the client calls. */
  program: RpcProgram<Call, Result>;
  /** How it learns the boot cookie AUTH_AMO needs; absent for a client that sends AUTH_NONE only. */
  boot?: BootCall<Call, Result>;
  /** The node its endpoint leads to, recorded on each operation (labs with several nodes). */
  node?: string;
  clientId: bigint;
  endpoint: Endpoint;
  /** Wait this long for a reply before retransmitting. */
  retransmitMs: number;
  /** Give a call up as indeterminate after this long. */
  giveUpMs: number;
  /** Report acknowledgements only every this many completed calls (keeps replies cached). */
  ackEvery: number;
  /** Retransmit on a fresh connection every this many retransmissions. */
  newConnectionEvery: number;
  /** Stops retrying when aborted; the call in flight ends as info. */
  signal: AbortSignal;
  /**
   * Write every `every`-th call that has arguments in two parts, `pauseMs` apart, cut in the
   * middle of its arguments: a server that takes one read for one record answers the first
   * part with GARBAGE_ARGS, whatever the network does to the stream.
   */
  splitWrites?: { every: number; pauseMs: number };
  /**
   * Labs whose every node serves the program (lab 3): where each transmission goes. Absent,
   * every transmission goes to `endpoint`.
   */
  router?: Router;
  /**
   * Never retransmit an AUTH_NONE call: where each transmission is an operation of its own
   * (lab 3), an unanswered one ends the call as indeterminate.
   */
  sendUnauthenticatedOnce?: boolean;
}

/** Spreads one client's transmissions over several nodes, one connection per node. */
export interface Router {
  /** The node for a call's transmission number `attempt` (0: the first), given the last one's. */
  nodeFor(attempt: number, previous: string | undefined): string;
  endpoint(node: string): Endpoint;
}

export type OpStatus = "ok" | "fail" | "info";

export interface OpResult<Result extends ProgramResult = ProgramResult> {
  op: number;
  status: OpStatus;
  outcome?: ReplyOutcome<Result>;
  reason?: string;
  /** The node whose reply ended the call (clients with a router). */
  node?: string;
}

/** A completed AUTH_AMO call as sent, kept so it can be re-sent as a duplicate. */
export interface SentCall {
  call: TracedCall;
  xid: number;
}

/** How many completed calls a client keeps for re-sending as duplicates. */
const KEEP_COMPLETED = 64;

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class AmoClient<
  Call extends ProgramCall = ProgramCall,
  Result extends ProgramResult = ProgramResult,
> {
  readonly options: AmoClientOptions<Call, Result>;
  readonly #recorder: RpcRecorder;
  /** Open connections by node ("" when the client has no router). */
  readonly #connections = new Map<string, TracedConnection>();
  #cookie: bigint | undefined;
  #nextXid = 1;
  /** Every xid at or below this is done (answered or given up): safe to acknowledge. */
  #doneThrough = 0;
  #doneAbove = new Set<number>();
  #reportedAck = 0;
  #retransmissions = 0;
  #callsWithArguments = 0;
  readonly completed: SentCall[] = [];

  constructor(recorder: RpcRecorder, options: AmoClientOptions<Call, Result>) {
    this.#recorder = recorder;
    this.options = options;
  }

  get cookie(): bigint | undefined {
    return this.#cookie;
  }

  get ackedXid(): number {
    return this.#reportedAck;
  }

  /** Takes the next xid without calling, e.g. for probes that build calls by hand. */
  takeXid(): number {
    return this.#nextXid++;
  }

  /** Learns the current boot cookie (the boot call, AUTH_NONE), retrying until the deadline. */
  async learnCookie(deadlineMs: number): Promise<boolean> {
    const boot = this.options.boot;
    if (!boot) throw new Error(`client ${this.options.name} has no boot call to learn a cookie`);
    while (this.#recorder.now() < deadlineMs && !this.options.signal.aborted) {
      const result = await this.#perform(boot.call, "none", deadlineMs);
      if (result.status === "ok" && result.outcome?.kind === "success") {
        const cookie = boot.cookie(result.outcome.result);
        if (cookie !== undefined) {
          this.#cookie = cookie;
          return true;
        }
      }
      await sleep(this.options.retransmitMs, this.options.signal);
    }
    return false;
  }

  /** Runs one call under AUTH_AMO (or AUTH_NONE for reads outside at-most-once). */
  async perform(call: Call, auth: "amo" | "none" = "amo"): Promise<OpResult<Result>> {
    return this.#perform(call, auth, this.#recorder.now() + this.options.giveUpMs);
  }

  /**
   * Re-sends a completed call exactly as it was, as a lost reply or late duplicate would, to
   * `node` (with a router) or the client's endpoint.
   */
  async resend(sent: SentCall, freshConnection: boolean, node = ""): Promise<void> {
    if (freshConnection) this.#dropConnection(node);
    const connection = await this.#ensureConnection(this.#recorder.now() + 1000, node);
    if (connection === undefined) return;
    connection.send({ ...sent.call, meta: { ...sent.call.meta, kind: "duplicate" } });
  }

  close(): void {
    for (const node of [...this.#connections.keys()]) this.#dropConnection(node);
  }

  async #perform(call: Call, auth: "amo" | "none", deadlineMs: number): Promise<OpResult<Result>> {
    const op = this.#recorder.nextOp();
    const emit = this.#recorder.emit;
    emit({
      type: "op.invoke",
      t: this.#recorder.now(),
      op,
      client: this.options.name,
      ...(this.options.node ? { node: this.options.node } : {}),
      call: this.options.program.compactCall(call),
    });
    if (auth === "amo" && this.#cookie === undefined) {
      emit({ type: "op.fail", t: this.#recorder.now(), op, reason: "no boot cookie known" });
      return { op, status: "fail", reason: "no boot cookie known" };
    }
    const xid = this.#nextXid++;
    const traced = this.#buildCall(call, xid, op, auth);
    let unanswered = 0;
    let first = true;
    let lastProblem = "";
    let node: string | undefined;
    for (let attempt = 0; ; attempt++) {
      if (this.options.signal.aborted || this.#recorder.now() >= deadlineMs) {
        return this.#finish(op, xid, traced, {
          status: first || unanswered > 0 ? "info" : "fail",
          reason: `gave up after ${Math.round(this.options.giveUpMs)} ms: ${lastProblem || "aborted"}`,
        });
      }
      node = this.options.router?.nodeFor(attempt, node) ?? "";
      const connection = await this.#ensureConnection(deadlineMs, node);
      if (connection === undefined) {
        lastProblem = "could not connect";
        await sleep(this.options.retransmitMs / 2, this.options.signal);
        continue;
      }
      traced.meta.kind = first ? "first" : "retransmit";
      first = false;
      const reply = await connection.call(traced, this.options.retransmitMs);
      if (reply.kind !== "reply") {
        unanswered++;
        lastProblem = reply.detail;
        if (auth === "none" && this.options.sendUnauthenticatedOnce)
          return this.#finish(op, xid, traced, {
            status: "info",
            reason: `no reply (${lastProblem}); an AUTH_NONE call is sent once`,
          });
        this.#retransmissions++;
        if (
          reply.kind !== "timeout" ||
          this.#retransmissions % this.options.newConnectionEvery === 0
        )
          this.#dropConnection(node);
        // A connection that failed at once (closed or reset) is not redialled at once: the
        // proxy of a crashed node accepts and then closes, so that would be thousands of
        // connections a second, taking the nodes' CPU and filling the trace.
        if (reply.kind !== "timeout")
          await sleep(this.options.retransmitMs / 2, this.options.signal);
        continue;
      }
      // Decoded by this client's own program (TracedCall.decodeAs): its results are Results.
      const outcome = reply.outcome as ReplyOutcome<Result>;
      if (outcome.kind === "success")
        return this.#finish(op, xid, traced, { status: "ok", outcome, ...(node ? { node } : {}) });
      if (outcome.kind === "auth-error" && outcome.stat === "AUTH_REJECTEDCRED") {
        // The server rebooted: this xid is never sent again; its fate is unknown if an
        // earlier transmission went unanswered.
        this.#cookie = undefined;
        const result = await this.#finish(op, xid, traced, {
          status: unanswered > 0 ? "info" : "fail",
          outcome,
          reason: "AUTH_REJECTEDCRED: the server rebooted",
        });
        await this.learnCookie(this.#recorder.now() + this.options.giveUpMs);
        return result;
      }
      return this.#finish(op, xid, traced, {
        status: unanswered > 0 ? "info" : "fail",
        outcome,
        reason: `error reply ${outcome.kind}${"stat" in outcome ? ` ${outcome.stat}` : ""}`,
      });
    }
  }

  #buildCall(call: Call, xid: number, op: number, auth: "amo" | "none"): TracedCall {
    let cred: SentCredential = { flavor: "AUTH_NONE" };
    let message: CallMessage = {
      xid,
      ...encodeProgramCall(this.options.program, call),
      cred: AUTH_NONE_AUTH,
    };
    if (auth === "amo" && this.#cookie !== undefined) {
      const ackedXid = this.#reportedAck;
      cred = {
        flavor: "AUTH_AMO",
        clientId: this.options.clientId.toString(),
        cookie: this.#cookie.toString(),
        ackedXid,
      };
      message = {
        ...message,
        cred: {
          flavor: AUTH_AMO,
          body: encodeAmoCred({ clientId: this.options.clientId, cookie: this.#cookie, ackedXid }),
        },
      };
    }
    const traced: TracedCall = {
      message,
      decodeAs: { program: this.options.program, proc: call.proc },
      meta: { kind: "first", cred, op },
    };
    const split = this.options.splitWrites;
    const argumentBytes = message.args?.length ?? 0;
    if (split && argumentBytes > 0 && ++this.#callsWithArguments % split.every === 0) {
      // The arguments end the record: cut it halfway through them.
      const recordBytes = encodeRecord(encodeCall(message)).length;
      traced.splitWrite = {
        atByte: recordBytes - Math.ceil(argumentBytes / 2),
        pauseMs: split.pauseMs,
      };
    }
    return traced;
  }

  async #finish(
    op: number,
    xid: number,
    traced: TracedCall,
    result: Omit<OpResult<Result>, "op">,
  ): Promise<OpResult<Result>> {
    const t = this.#recorder.now();
    const emit = this.#recorder.emit;
    if (result.status === "ok" && result.outcome)
      emit({ type: "op.ok", t, op, outcome: compactOutcome(result.outcome, this.options.program) });
    else if (result.status === "fail")
      emit({ type: "op.fail", t, op, reason: result.reason ?? "" });
    else emit({ type: "op.info", t, op, reason: result.reason ?? "" });
    this.#markDone(xid);
    if (result.status === "ok" && traced.meta.cred.flavor === "AUTH_AMO")
      this.completed.push({ call: traced, xid });
    if (this.completed.length > KEEP_COMPLETED) this.completed.shift();
    return { op, ...result };
  }

  #markDone(xid: number): void {
    this.#doneAbove.add(xid);
    while (this.#doneAbove.delete(this.#doneThrough + 1)) this.#doneThrough++;
    if (this.#doneThrough - this.#reportedAck >= this.options.ackEvery)
      this.#reportedAck = this.#doneThrough;
  }

  async #ensureConnection(deadlineMs: number, node: string): Promise<TracedConnection | undefined> {
    const open = this.#connections.get(node);
    if (open && !open.closed) return open;
    const timeout = Math.max(100, Math.min(2000, deadlineMs - this.#recorder.now()));
    const router = this.options.router;
    const endpoint = router && node ? router.endpoint(node) : this.options.endpoint;
    const opened = await this.#recorder.connect(this.options.name, endpoint, timeout);
    if ("error" in opened) return undefined;
    this.#connections.set(node, opened);
    return opened;
  }

  #dropConnection(node: string): void {
    this.#connections.get(node)?.destroy();
    this.#connections.delete(node);
  }
}
