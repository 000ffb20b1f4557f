/**
 * A trace's running digest: SHA-256 over the bytes of every line before the `end` event (the
 * header and each event, with its newline), carried in `end.digest`. The writer and the reader
 * compute it the same way, so a line deleted, changed or added after dslab wrote the trace
 * shows as a mismatch. It is not a signature: whoever edits a trace on purpose can compute it
 * again (docs/trace-format.md says what it does and does not prove).
 */
import { createHash, type Hash } from "node:crypto";

/** The algorithm a header announces in `digest`: its `end` event then carries one. */
export const TRACE_DIGEST = "sha256";

export class TraceDigest {
  #hash: Hash = createHash(TRACE_DIGEST);

  /** Adds one line as written: its text and the newline that ends it. */
  addLine(line: string): void {
    this.#hash.update(line);
    this.#hash.update("\n");
  }

  /** The digest of the lines so far, in hex; more lines may still be added. */
  hex(): string {
    return this.#hash.copy().digest("hex");
  }
}
