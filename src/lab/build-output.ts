/**
 * A build's stdout and stderr, interleaved as they arrive and kept up to a bound; reading
 * stops when asked, so that a process holding the pipes open cannot hold up the result.
 */
import type { Readable } from "node:stream";
import { settlesWithin } from "../host/settles-within.ts";

const OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;

export class BuildOutput {
  readonly #streams: Readable[];
  readonly #chunks: Buffer[] = [];
  readonly #ended: Promise<unknown>;
  #bytes = 0;
  #cut = false;

  constructor(streams: (Readable | null)[]) {
    this.#streams = streams.filter((s): s is Readable => s !== null);
    for (const stream of this.#streams) stream.on("data", (chunk: Buffer) => this.#keep(chunk));
    this.#ended = Promise.all(
      this.#streams.map(
        (stream) =>
          new Promise<void>((resolve) => {
            stream.once("close", resolve);
            stream.once("error", () => resolve());
          }),
      ),
    );
  }

  /** Waits up to `ms` for both pipes to close, then closes our ends. */
  async drain(ms: number): Promise<void> {
    await settlesWithin(this.#ended, ms);
    for (const stream of this.#streams) stream.destroy();
  }

  text(): string {
    const text = Buffer.concat(this.#chunks).toString("utf8");
    return this.#cut ? `${text}\n(output beyond 64 MiB not kept)` : text;
  }

  #keep(chunk: Buffer): void {
    if (this.#bytes + chunk.length > OUTPUT_LIMIT_BYTES) {
      this.#cut = true;
      return;
    }
    this.#bytes += chunk.length;
    this.#chunks.push(chunk);
  }
}
