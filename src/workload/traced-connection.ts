/**
 * An RPC connection whose every transmission, reply and close lands in the trace. The workload
 * and the probes talk through it, so the checkers see exactly what crossed the wire.
 */
import {
  type CallOptions,
  type CallResult,
  RpcConnection,
  type SplitWrite,
} from "../rpc/connection.ts";
import { type CallMessage, encodeCall, type RpcReply } from "../rpc/message.ts";
import { malformedOutcome, outcomeOf } from "../rpc/outcome.ts";
import type { RpcProgram } from "../rpc/program.ts";
import type { ReplyOutcome } from "../rpc/reply-outcome.ts";
import type { Clock } from "../trace/clock.ts";
import { compactOutcome } from "../trace/compact-values.ts";
import type { RpcSendEvent, TraceEvent } from "../trace/events.ts";

export interface Endpoint {
  /** The proxy link's name ("direct" when not proxied). */
  link: string;
  host: string;
  port: number;
}

/** Shared by every client of a run: one numbering of connections and operations. */
export class RpcRecorder {
  readonly emit: (event: TraceEvent) => void;
  readonly now: Clock;
  #nextConn = 1;
  #nextOp = 1;
  readonly #open = new Set<TracedConnection>();

  constructor(emit: (event: TraceEvent) => void, now: Clock) {
    this.emit = emit;
    this.now = now;
  }

  nextOp(): number {
    return this.#nextOp++;
  }

  /** Opens a traced connection, or says why it could not (also traced). */
  async connect(
    client: string,
    endpoint: Endpoint,
    connectTimeoutMs = 2000,
  ): Promise<TracedConnection | { error: string }> {
    const conn = this.#nextConn++;
    const opened = await RpcConnection.open({
      host: endpoint.host,
      port: endpoint.port,
      connectTimeoutMs,
      clock: this.now,
    });
    if (!opened.ok) return { error: opened.error };
    const traced = new TracedConnection(this, conn, client, endpoint, opened.connection);
    this.#open.add(traced);
    opened.connection.onClose(() => this.#open.delete(traced));
    return traced;
  }

  /** Closes every connection still open (end of a run). */
  destroyAll(): void {
    for (const connection of this.#open) connection.destroy();
  }
}

export interface TracedCall {
  message: CallMessage;
  /** The procedure as the client meant it, to decode the results by; raw probes may lie. */
  decodeAs: DecodeAs;
  meta: Pick<RpcSendEvent, "kind" | "cred"> & Partial<Pick<RpcSendEvent, "op" | "deviation">>;
  fragmentSizes?: readonly number[];
  splitWrite?: SplitWrite;
}

export interface DecodeAs {
  program: RpcProgram;
  proc: string;
}

export type TracedReply =
  | { kind: "reply"; outcome: ReplyOutcome; at: number }
  | { kind: "timeout" | "closed" | "not-sent"; at: number; detail: string };

export class TracedConnection {
  readonly id: number;
  readonly client: string;
  readonly rpc: RpcConnection;
  readonly #recorder: RpcRecorder;
  /** Which procedure each xid was sent as on this connection, to decode its replies. */
  readonly #procByXid = new Map<number, DecodeAs>();

  constructor(
    recorder: RpcRecorder,
    id: number,
    client: string,
    endpoint: Endpoint,
    rpc: RpcConnection,
  ) {
    this.#recorder = recorder;
    this.id = id;
    this.client = client;
    this.rpc = rpc;
    recorder.emit({ type: "conn.open", t: recorder.now(), conn: id, client, link: endpoint.link });
    rpc.onReply((event) => {
      const proc = event.xid === undefined ? undefined : this.#procByXid.get(event.xid);
      let outcome: ReplyOutcome;
      if (!event.decoded.ok) outcome = malformedOutcome(event.decoded.error, event.record.payload);
      else if (proc === undefined)
        outcome = malformedOutcome(
          "reply to an xid never sent on this connection",
          new Uint8Array(),
        );
      else outcome = decodeReply(proc, event.decoded.value);
      recorder.emit({
        type: "rpc.reply",
        t: event.at,
        conn: id,
        xid: event.xid ?? -1,
        outcome: proc ? compactOutcome(outcome, proc.program) : outcome,
        bytes: event.record.payload.length,
      });
    });
    rpc.onClose((event) => {
      const reason =
        event.reason.kind === "socket-error"
          ? `socket error ${event.reason.code ?? ""}: ${event.reason.message}`
          : event.reason.kind === "protocol-error"
            ? `protocol error: ${event.reason.message}`
            : event.reason.kind;
      recorder.emit({ type: "conn.close", t: event.at, conn: id, reason });
    });
  }

  get closed(): boolean {
    return this.rpc.closed;
  }

  /** Records the transmission, sends it and waits for its reply (or timeout / close). */
  async call(call: TracedCall, timeoutMs: number): Promise<TracedReply> {
    this.#record(call);
    const options: CallOptions = { timeoutMs };
    if (call.fragmentSizes !== undefined) options.fragmentSizes = call.fragmentSizes;
    if (call.splitWrite !== undefined) options.splitWrite = call.splitWrite;
    return this.#describe(await this.rpc.call(call.message, options), call.decodeAs);
  }

  /** Records and sends without waiting: duplicates whose replies the listener records. */
  send(call: TracedCall): boolean {
    this.#record(call);
    return this.rpc.send(encodeCall(call.message), call.fragmentSizes).ok;
  }

  /** Records a transmission that the caller writes itself (split writes, stalls). */
  record(call: TracedCall): void {
    this.#record(call);
  }

  destroy(): void {
    this.rpc.destroy();
  }

  #record(call: TracedCall): void {
    const { message } = call;
    this.#procByXid.set(message.xid, call.decodeAs);
    this.#recorder.emit({
      type: "rpc.send",
      t: this.#recorder.now(),
      conn: this.id,
      xid: message.xid,
      ...call.meta,
      prog: message.prog,
      vers: message.vers,
      proc: message.proc,
      bytes: encodeCall(message).length + 4,
    });
  }

  #describe(result: CallResult, proc: DecodeAs): TracedReply {
    switch (result.kind) {
      case "reply": {
        const decoded = result.reply.decoded;
        const outcome = decoded.ok
          ? decodeReply(proc, decoded.value)
          : malformedOutcome(decoded.error, result.reply.record.payload);
        return { kind: "reply", outcome, at: result.reply.at };
      }
      case "timeout":
        return { kind: "timeout", at: result.at, detail: "no reply in time" };
      case "closed":
        return { kind: "closed", at: result.close.at, detail: result.close.reason.kind };
      case "not-sent":
        return { kind: "not-sent", at: result.at, detail: result.error };
    }
  }
}

/** Decodes a reply by the program and procedure the call was sent as. */
function decodeReply({ program, proc }: DecodeAs, reply: RpcReply): ReplyOutcome {
  return outcomeOf(reply, (results) => program.decodeResults(proc, results));
}
