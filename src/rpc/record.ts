/**
 * Record marking for ONC RPC over TCP (RFC 5531 §11): each fragment starts with a 4-byte
 * big-endian header whose high bit marks the last fragment of a record and whose low 31 bits
 * are the fragment's length.
 */

export const LAST_FRAGMENT = 0x80000000;
export const MAX_FRAGMENT_LENGTH = 0x7fffffff;
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** One fragment header; probes use it directly to send lies (e.g. a 2 GiB length). */
export function encodeFragmentHeader(length: number, last: boolean): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_FRAGMENT_LENGTH) {
    throw new RangeError(
      `fragment length ${length} is not an integer in 0..${MAX_FRAGMENT_LENGTH}`,
    );
  }
  const header = Buffer.alloc(4);
  header.writeUInt32BE((last ? LAST_FRAGMENT : 0) + length);
  return header;
}

/**
 * Frames `payload` as one record. `fragmentSizes` splits it into fragments of those sizes, in
 * order (they must add up to the payload's length; zero-size fragments are allowed); by default
 * the record is one fragment.
 */
export function encodeRecord(
  payload: Uint8Array,
  fragmentSizes: readonly number[] = [payload.length],
): Buffer {
  const total = fragmentSizes.reduce((sum, size) => sum + size, 0);
  if (fragmentSizes.length === 0 || total !== payload.length) {
    throw new RangeError(
      `fragment sizes [${fragmentSizes.join(", ")}] must be non-empty and add up to the payload length ${payload.length}`,
    );
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  fragmentSizes.forEach((size, index) => {
    parts.push(encodeFragmentHeader(size, index === fragmentSizes.length - 1));
    parts.push(payload.subarray(offset, offset + size));
    offset += size;
  });
  return Buffer.concat(parts);
}

export interface DecodedRecord {
  payload: Buffer;
  /** Bytes on the wire, fragment headers included. */
  wireBytes: number;
  fragments: number;
}

export interface RecordDecoderOptions {
  /** A record whose fragments declare more than this many payload bytes is a protocol error. */
  maxRecordBytes?: number;
}

export interface RecordPushResult {
  records: DecodedRecord[];
  /** Set once the stream broke the protocol; the decoder then ignores all further input. */
  error?: string;
}

/**
 * Reassembles records from a TCP byte stream delivered in arbitrary chunks. It buffers at most
 * one record (bounded by maxRecordBytes) and checks each fragment's declared length before
 * waiting for its bytes, so a lying header fails at once instead of filling memory.
 */
export class RecordDecoder {
  readonly #maxRecordBytes: number;
  #header = Buffer.alloc(4);
  #headerFilled = 0;
  /** Bytes still expected in the current fragment, or -1 while reading a header. */
  #fragmentLeft = -1;
  #fragmentIsLast = false;
  #parts: Buffer[] = [];
  /** Payload bytes declared by the current record's fragment headers so far. */
  #recordBytes = 0;
  #receivedBytes = 0;
  #fragments = 0;
  #error: string | undefined;

  constructor(options: RecordDecoderOptions = {}) {
    this.#maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /** Bytes of the unfinished record received so far (headers included). */
  get pendingBytes(): number {
    return this.#receivedBytes + this.#fragments * 4 + this.#headerFilled;
  }

  get error(): string | undefined {
    return this.#error;
  }

  push(chunk: Uint8Array): RecordPushResult {
    const records: DecodedRecord[] = [];
    if (this.#error !== undefined) return { records, error: this.#error };
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let offset = 0;
    while (offset < data.length || this.#fragmentLeft === 0) {
      if (this.#fragmentLeft < 0) {
        const take = Math.min(4 - this.#headerFilled, data.length - offset);
        data.copy(this.#header, this.#headerFilled, offset, offset + take);
        this.#headerFilled += take;
        offset += take;
        if (this.#headerFilled < 4) break;
        this.#startFragment();
        if (this.#error !== undefined) return { records, error: this.#error };
        continue;
      }
      const take = Math.min(this.#fragmentLeft, data.length - offset);
      if (take > 0) {
        // Copied: a caller may reuse its chunk buffer after push returns.
        this.#parts.push(Buffer.from(data.subarray(offset, offset + take)));
        offset += take;
        this.#receivedBytes += take;
        this.#fragmentLeft -= take;
      }
      if (this.#fragmentLeft > 0) break;
      this.#fragmentLeft = -1;
      if (this.#fragmentIsLast) records.push(this.#finishRecord());
    }
    return { records };
  }

  #startFragment(): void {
    const word = this.#header.readUInt32BE(0);
    this.#headerFilled = 0;
    const length = word & MAX_FRAGMENT_LENGTH;
    this.#fragmentIsLast = word >= LAST_FRAGMENT;
    this.#fragments += 1;
    if (this.#recordBytes + length > this.#maxRecordBytes) {
      this.#error =
        `fragment ${this.#fragments} declares ${length} bytes, taking the record to ` +
        `${this.#recordBytes + length} bytes, over the ${this.#maxRecordBytes}-byte limit ` +
        `(header 0x${word.toString(16).padStart(8, "0")})`;
      return;
    }
    this.#recordBytes += length;
    this.#fragmentLeft = length;
  }

  #finishRecord(): DecodedRecord {
    const record: DecodedRecord = {
      payload: Buffer.concat(this.#parts, this.#recordBytes),
      wireBytes: this.#recordBytes + this.#fragments * 4,
      fragments: this.#fragments,
    };
    this.#parts = [];
    this.#recordBytes = 0;
    this.#receivedBytes = 0;
    this.#fragments = 0;
    return record;
  }
}
