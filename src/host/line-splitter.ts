/**
 * Splits a byte stream into lines with a cap on one line's length, so a node that prints an
 * endless line without a newline cannot grow the harness's memory.
 */

export interface SplitLine {
  text: string;
  /** Bytes of the original line (without the newline), including any cut off. */
  bytes: number;
  truncated: boolean;
}

export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: SplitLine) => void;
  #kept: Buffer[] = [];
  #keptBytes = 0;
  #totalBytes = 0;

  constructor(maxLineBytes: number, onLine: (line: SplitLine) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.#append(chunk.subarray(start));
        return;
      }
      this.#append(chunk.subarray(start, nl));
      this.#flushLine();
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (this.#totalBytes > 0) this.#flushLine();
  }

  #append(part: Buffer): void {
    this.#totalBytes += part.length;
    const room = this.#maxLineBytes - this.#keptBytes;
    if (room <= 0 || part.length === 0) return;
    const kept = part.length <= room ? part : part.subarray(0, room);
    this.#kept.push(Buffer.from(kept));
    this.#keptBytes += kept.length;
  }

  #flushLine(): void {
    let text = Buffer.concat(this.#kept, this.#keptBytes).toString("utf8");
    const truncated = this.#totalBytes > this.#keptBytes;
    if (!truncated && text.endsWith("\r")) text = text.slice(0, -1);
    if (truncated) text += ` [line truncated: ${this.#totalBytes} bytes]`;
    const line = { text, bytes: this.#totalBytes, truncated };
    this.#kept = [];
    this.#keptBytes = 0;
    this.#totalBytes = 0;
    this.#onLine(line);
  }
}
