/**
 * One ONC RPC client connection over TCP. It reports facts with timestamps (replies, closes) and
 * leaves recording them to the caller. It reads for as long as the socket is open, whether or
 * not a call is outstanding, so late duplicate replies are seen too. Ordinary network trouble
 * (refused, reset, silence, garbage, a lying record length) becomes a result value, never a
 * rejected promise.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import {
  type CallMessage,
  type Decoded,
  decodeReply,
  encodeCall,
  type RpcReply,
} from "./message.ts";
import { type DecodedRecord, encodeRecord, RecordDecoder } from "./record.ts";

export interface RpcConnectionOptions {
  host: string;
  port: number;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long close() waits for the peer to finish before destroying the socket; default 2000 ms. */
  closeTimeoutMs?: number;
  /** Largest reply record accepted; see RecordDecoder (default 16 MiB). */
  maxRecordBytes?: number;
  /** Timestamps for every fact reported; default performance.now(). */
  clock?: () => number;
}

export interface ReplyEvent {
  at: number;
  /** The record's first word, when it has one (also for records that fail to decode). */
  xid: number | undefined;
  decoded: Decoded<RpcReply>;
  record: DecodedRecord;
  /** Whether a call() was waiting for this xid (false for unsolicited and duplicate replies). */
  awaited: boolean;
}

export type CloseReason =
  | { kind: "local-close" }
  | { kind: "local-destroy" }
  | { kind: "remote-end" }
  | { kind: "socket-error"; code: string | undefined; message: string }
  | { kind: "protocol-error"; message: string };

export interface CloseEvent {
  at: number;
  reason: CloseReason;
  /** Bytes of a reply record that had started but not finished arriving. */
  unfinishedRecordBytes: number;
}

export type ConnectResult =
  | { ok: true; at: number; connection: RpcConnection }
  | { ok: false; at: number; timedOut: boolean; code: string | undefined; error: string };

export type SendResult = { ok: true; at: number } | { ok: false; at: number; error: string };

export type CallResult =
  | { kind: "reply"; sentAt: number; reply: ReplyEvent }
  | { kind: "timeout"; sentAt: number; at: number }
  | { kind: "closed"; sentAt: number; close: CloseEvent }
  | { kind: "not-sent"; at: number; error: string };

export interface CallOptions {
  timeoutMs: number;
  /** Split the CALL record into fragments of these sizes (see encodeRecord). */
  fragmentSizes?: readonly number[];
  /** Write the record in two parts, some time apart (see SplitWrite). */
  splitWrite?: SplitWrite;
}

/**
 * A record written as its first `atByte` bytes, then the rest `pauseMs` later: the server
 * gets it in two reads, as from a slow or sliced stream, and must not take a read for a record.
 */
export interface SplitWrite {
  atByte: number;
  pauseMs: number;
}

type Waiter = (outcome: { reply: ReplyEvent } | { close: CloseEvent }) => void;

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

function errorCode(error: Error): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === "string" ? code : undefined;
}

export class RpcConnection {
  readonly #socket: Socket;
  readonly #clock: () => number;
  readonly #closeTimeoutMs: number;
  readonly #decoder: RecordDecoder;
  readonly #waiters = new Map<number, Set<Waiter>>();
  readonly #replyListeners = new Set<(event: ReplyEvent) => void>();
  readonly #closeListeners = new Set<(event: CloseEvent) => void>();
  /** The first cause seen; the close event reports it once the socket is gone. */
  #reason: CloseReason | undefined;
  #closeEvent: CloseEvent | undefined;

  /** Opens a TCP connection; resolves with a failure value on refusal, error or timeout. */
  static open(options: RpcConnectionOptions): Promise<ConnectResult> {
    const clock = options.clock ?? (() => performance.now());
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const target = `${options.host}:${options.port}`;
    return new Promise((resolve) => {
      const socket = connect({ host: options.host, port: options.port });
      const fail = (timedOut: boolean, code: string | undefined, error: string): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok: false, at: clock(), timedOut, code, error });
      };
      const onError = (error: Error): void =>
        fail(false, errorCode(error), `connecting to ${target} failed: ${error.message}`);
      const timer = setTimeout(
        () => fail(true, undefined, `no TCP connection to ${target} within ${timeoutMs} ms`),
        timeoutMs,
      );
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve({ ok: true, at: clock(), connection: new RpcConnection(socket, options) });
      });
    });
  }

  /** Wraps an already connected socket; RpcConnection.open is the usual way in. */
  constructor(socket: Socket, options: Omit<RpcConnectionOptions, "host" | "port"> = {}) {
    this.#socket = socket;
    this.#clock = options.clock ?? (() => performance.now());
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const decoderOptions =
      options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes };
    this.#decoder = new RecordDecoder(decoderOptions);
    // Probes send fragments with pauses between them: each write must leave at once.
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.#noteReason({ kind: "remote-end" }));
    socket.on("error", (error: Error) =>
      this.#noteReason({ kind: "socket-error", code: errorCode(error), message: error.message }),
    );
    socket.on("close", () => this.#onClose());
  }

  get closed(): boolean {
    return this.#closeEvent !== undefined;
  }

  /** The close event, once the socket is closed. */
  get closeEvent(): CloseEvent | undefined {
    return this.#closeEvent;
  }

  /** Called for every reply record; returns a function that removes the listener. */
  onReply(listener: (event: ReplyEvent) => void): () => void {
    this.#replyListeners.add(listener);
    return () => this.#replyListeners.delete(listener);
  }

  /** Called once when the socket closes (not for listeners added afterwards: see closeEvent). */
  onClose(listener: (event: CloseEvent) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Sends `payload` as one record, optionally split into fragments of the given sizes. */
  send(payload: Uint8Array, fragmentSizes?: readonly number[]): SendResult {
    return this.sendRaw(encodeRecord(payload, fragmentSizes));
  }

  /** Writes bytes as they are: half records, lying headers, garbage. */
  sendRaw(bytes: Uint8Array): SendResult {
    const at = this.#clock();
    if (this.#closeEvent !== undefined || this.#reason !== undefined || !this.#socket.writable) {
      return { ok: false, at, error: `connection is closed or closing (${this.#describeState()})` };
    }
    // Write errors arrive as the socket's "error" event, which closes the connection.
    this.#socket.write(bytes);
    return { ok: true, at };
  }

  /**
   * Sends a CALL and waits for the reply with its xid, the timeout or the connection's close.
   * Other calls may be outstanding at the same time; replies are matched by xid in any order.
   */
  call(message: CallMessage, options: CallOptions): Promise<CallResult> {
    const record = encodeRecord(encodeCall(message), options.fragmentSizes);
    const split = options.splitWrite;
    const sent = this.sendRaw(split ? record.subarray(0, split.atByte) : record);
    if (!sent.ok) return Promise.resolve({ kind: "not-sent", at: sent.at, error: sent.error });
    const sentAt = sent.at;
    const result = new Promise<CallResult>((resolve) => {
      const waiters = this.#waiters.get(message.xid) ?? new Set<Waiter>();
      this.#waiters.set(message.xid, waiters);
      const forget = (): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.#waiters.get(message.xid) === waiters) {
          this.#waiters.delete(message.xid);
        }
      };
      const waiter: Waiter = (outcome) => {
        forget();
        resolve(
          "reply" in outcome
            ? { kind: "reply", sentAt, reply: outcome.reply }
            : { kind: "closed", sentAt, close: outcome.close },
        );
      };
      const timer = setTimeout(() => {
        forget();
        resolve({ kind: "timeout", sentAt, at: this.#clock() });
      }, options.timeoutMs);
      waiters.add(waiter);
    });
    if (!split) return result;
    // The caller hears of a reply only once the rest is written: a server that answered the
    // first part must not find the caller's next record inside this one. A close during the
    // pause fails this write; the waiter hears of the close.
    const restWritten = new Promise<void>((resolve) =>
      setTimeout(() => {
        this.sendRaw(record.subarray(split.atByte));
        resolve();
      }, split.pauseMs),
    );
    return Promise.all([result, restWritten]).then(([outcome]) => outcome);
  }

  /** Half-closes (FIN) and resolves once the socket is closed; destroys it after closeTimeoutMs. */
  close(): Promise<CloseEvent> {
    return new Promise((resolve) => {
      if (this.#closeEvent !== undefined) {
        resolve(this.#closeEvent);
        return;
      }
      this.onClose(resolve);
      this.#noteReason({ kind: "local-close" });
      const timer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
      this.onClose(() => clearTimeout(timer));
      this.#socket.end();
    });
  }

  /** Closes at once; the close event follows asynchronously. */
  destroy(): void {
    this.#noteReason({ kind: "local-destroy" });
    this.#socket.destroy();
  }

  #noteReason(reason: CloseReason): void {
    this.#reason ??= reason;
  }

  #describeState(): string {
    const reason = this.#closeEvent?.reason ?? this.#reason;
    return reason === undefined ? "socket not writable" : reason.kind;
  }

  #onData(chunk: Buffer): void {
    const { records, error } = this.#decoder.push(chunk);
    for (const record of records) this.#deliver(record);
    if (error !== undefined) {
      this.#noteReason({ kind: "protocol-error", message: `reply stream: ${error}` });
      this.#socket.destroy();
    }
  }

  #deliver(record: DecodedRecord): void {
    const decoded = decodeReply(record.payload);
    const xid = decoded.ok ? decoded.value.xid : decoded.xid;
    const waiters = xid === undefined ? undefined : this.#waiters.get(xid);
    const event: ReplyEvent = {
      at: this.#clock(),
      xid,
      decoded,
      record,
      awaited: waiters !== undefined && waiters.size > 0,
    };
    for (const listener of this.#replyListeners) listener(event);
    for (const waiter of [...(waiters ?? [])]) waiter({ reply: event });
  }

  #onClose(): void {
    const event: CloseEvent = {
      at: this.#clock(),
      reason: this.#reason ?? { kind: "remote-end" },
      unfinishedRecordBytes: this.#decoder.pendingBytes,
    };
    this.#closeEvent = event;
    for (const listener of this.#closeListeners) listener(event);
    for (const waiters of [...this.#waiters.values()]) {
      for (const waiter of [...waiters]) waiter({ close: event });
    }
  }
}
