/**
 * XDR (RFC 4506) primitives for ONC RPC, a thin layer over @stellar/js-xdr's Reader and Writer.
 * js-xdr checks bounds, zero padding and enum/bool discriminants and names the offending field
 * in its errors; this layer adds decoding from an offset inside a larger buffer (RPC results are
 * not length-prefixed: the reader reports how many bytes it used) and strings as JS strings.
 */
import { Reader, UNBOUNDED_MAX_LENGTH, Writer, XdrError } from "@stellar/js-xdr";

export { XdrError };

/** The "no explicit bound" maximum of `string x<>` and `opaque x<>`. */
export const XDR_UNBOUNDED = UNBOUNDED_MAX_LENGTH;

/** js-xdr's low-level Writer does not range-check (its schemas do), so this layer does. */
function checkRange<T extends number | bigint>(value: T, min: T, max: T, type: string): T {
  if (typeof value === "number" && !Number.isInteger(value)) {
    throw new XdrError(`${type}: ${value} is not an integer`);
  }
  if (value < min || value > max) throw new XdrError(`${type}: ${value} is outside ${min}..${max}`);
  return value;
}

/**
 * Strings travel as one byte per character (latin1), so any byte sequence a server sends decodes
 * to a string that re-encodes to the same bytes; the lab's keys and values are printable ASCII.
 */
function stringBytes(value: string, field: string): Buffer {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) {
      throw new XdrError(
        `${field}: character ${JSON.stringify(value[i])} at index ${i} does not fit in one byte; XDR strings here are byte strings (use ASCII)`,
      );
    }
  }
  return Buffer.from(value, "latin1");
}

export class XdrWriter {
  readonly #writer = new Writer();

  get length(): number {
    return this.#writer.offset;
  }

  int(value: number): this {
    this.#writer.writeInt32(checkRange(value, -(2 ** 31), 2 ** 31 - 1, "int"));
    return this;
  }

  uint(value: number): this {
    this.#writer.writeUint32(checkRange(value, 0, 2 ** 32 - 1, "unsigned int"));
    return this;
  }

  /** An enum is an int on the wire; the caller knows its members. */
  enum(value: number): this {
    return this.int(value);
  }

  bool(value: boolean): this {
    return this.uint(value ? 1 : 0);
  }

  hyper(value: bigint): this {
    this.#writer.writeBigInt64(checkRange(value, -(2n ** 63n), 2n ** 63n - 1n, "hyper"));
    return this;
  }

  uhyper(value: bigint): this {
    this.#writer.writeBigUint64(checkRange(value, 0n, 2n ** 64n - 1n, "unsigned hyper"));
    return this;
  }

  /** `opaque x[length]`: exactly `length` bytes, then zero padding. */
  fixedOpaque(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) {
      throw new XdrError(
        `fixed opaque: got ${bytes.length} bytes, the type needs exactly ${length}`,
      );
    }
    this.#writer.writeBytes(bytes);
    this.#writer.writePadding(bytes.length);
    return this;
  }

  /** `opaque x<max>`: a length, the bytes, zero padding. */
  varOpaque(bytes: Uint8Array, max: number = XDR_UNBOUNDED): this {
    if (bytes.length > max) {
      throw new XdrError(`variable opaque: ${bytes.length} bytes exceed the maximum ${max}`);
    }
    this.uint(bytes.length);
    this.#writer.writeBytes(bytes);
    this.#writer.writePadding(bytes.length);
    return this;
  }

  /** `string x<max>`; `max` counts bytes, as XDR does. */
  string(value: string, max: number = XDR_UNBOUNDED, field = "string"): this {
    const bytes = stringBytes(value, field);
    if (bytes.length > max) {
      throw new XdrError(`${field}: ${bytes.length} bytes exceed the maximum ${max}`);
    }
    return this.varOpaque(bytes, max);
  }

  /** Pre-encoded bytes (e.g. call arguments) appended as is, without padding: probes send garbage. */
  raw(bytes: Uint8Array): this {
    this.#writer.writeBytes(bytes);
    return this;
  }

  toBuffer(): Buffer {
    const bytes = this.#writer.toUint8Array();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/**
 * Reads XDR from `bytes` starting at `start`. Every read names its field, which js-xdr puts in
 * the XdrError it throws on truncated input, bad padding or a length over the maximum.
 */
export class XdrReader {
  readonly #start: number;
  readonly #reader: Reader;

  constructor(bytes: Uint8Array, start = 0) {
    if (start < 0 || start > bytes.length) {
      throw new XdrError(
        `XDR reader: start offset ${start} is outside a ${bytes.length}-byte buffer`,
      );
    }
    this.#start = start;
    this.#reader = new Reader(bytes.subarray(start));
  }

  /** Absolute offset in the buffer given to the constructor. */
  get offset(): number {
    return this.#start + this.#reader.offset;
  }

  /** Bytes read since the start offset. */
  get consumed(): number {
    return this.#reader.offset;
  }

  get remaining(): number {
    return this.#reader.remaining;
  }

  int(field: string): number {
    return this.#reader.readInt32(field);
  }

  uint(field: string): number {
    return this.#reader.readUint32(field);
  }

  /** Reads an enum whose members are numbered 0..n-1, returning the member's name. */
  enum<T extends string>(field: string, names: readonly T[]): T {
    const value = this.#reader.readInt32(field);
    const name = names[value];
    if (name === undefined) {
      throw new XdrError(
        `${field}: unknown enum value ${value} (expected 0..${names.length - 1}: ${names.join(", ")})`,
      );
    }
    return name;
  }

  bool(field: string): boolean {
    const value = this.#reader.readUint32(field);
    if (value > 1) throw new XdrError(`${field}: invalid bool ${value} (expected 0 or 1)`);
    return value === 1;
  }

  hyper(field: string): bigint {
    return this.#reader.readBigInt64(field);
  }

  uhyper(field: string): bigint {
    return this.#reader.readBigUint64(field);
  }

  fixedOpaque(length: number, field: string): Buffer {
    const bytes = this.#reader.readBytes(length, field);
    this.#reader.skipPadding(length, field);
    return this.#view(bytes);
  }

  varOpaque(field: string, max: number = XDR_UNBOUNDED): Buffer {
    const length = this.#reader.readUint32(field);
    if (length > max) {
      throw new XdrError(`${field}: length ${length} exceeds the maximum ${max}`);
    }
    return this.fixedOpaque(length, field);
  }

  string(field: string, max: number = XDR_UNBOUNDED): string {
    return this.varOpaque(field, max).toString("latin1");
  }

  /** The unread rest of the input, consumed. */
  rest(): Buffer {
    return this.#view(this.#reader.readBytes(this.#reader.remaining, "rest"));
  }

  /** Throws unless every byte was consumed (`what` names the value for the message). */
  end(what: string): void {
    if (this.#reader.remaining !== 0) {
      throw new XdrError(`${what}: ${this.#reader.remaining} trailing byte(s) after the value`);
    }
  }

  /** A Buffer view that shares memory with the input (no copy: records are immutable here). */
  #view(bytes: Uint8Array): Buffer {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
