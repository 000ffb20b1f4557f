import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { TRACE_DIGEST, TraceDigest } from "./digest.ts";
import type { Trace, TraceEvent, TraceHeader } from "./events.ts";

const FLUSH_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 200;

/**
 * Appends events to a JSON Lines file and keeps them in memory for the checkers. Lines are
 * buffered briefly and flushed synchronously, so an interrupted run still leaves every event
 * recorded up to the last flush (and the exit hook flushes the rest). The header announces a
 * digest and the `end` event carries it (see digest.ts), so a reader can tell the trace is whole.
 */
export class TraceWriter {
  readonly path: string;
  readonly trace: Trace;
  #fd: number | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  #digest = new TraceDigest();
  #timer: NodeJS.Timeout;
  #onExit = () => this.close();

  constructor(path: string, header: TraceHeader) {
    this.path = path;
    this.trace = { header: { ...header, digest: TRACE_DIGEST }, events: [] };
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, "w");
    this.#append(this.trace.header);
    this.flush();
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
    process.once("exit", this.#onExit);
  }

  get closed(): boolean {
    return this.#fd === undefined;
  }

  emit(event: TraceEvent): void {
    if (this.#fd === undefined) return;
    const recorded = event.type === "end" ? { ...event, digest: this.#digest.hex() } : event;
    this.trace.events.push(recorded);
    this.#append(recorded);
    if (event.type === "end")
      this.close(); // nothing follows the end: readers refuse it
    else if (this.#pendingBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.#fd === undefined || this.#pending.length === 0) return;
    writeSync(this.#fd, this.#pending.join(""));
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  close(): void {
    if (this.#fd === undefined) return;
    this.flush();
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
    clearInterval(this.#timer);
    process.removeListener("exit", this.#onExit);
  }

  #append(record: TraceHeader | TraceEvent): void {
    const json = JSON.stringify(record);
    this.#digest.addLine(json);
    const line = `${json}\n`;
    this.#pending.push(line);
    this.#pendingBytes += line.length;
  }
}
