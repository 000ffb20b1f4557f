/**
 * The search's memo (Lowe's): configurations (set of linearized operations, model state) already
 * explored, which led nowhere. An open-addressing table over flat typed arrays, so that a step
 * costs no allocation but the state itself, and with a fixed memory ceiling: once full it stops
 * remembering, which only costs repeated work, never a wrong answer.
 */

/** A free slot; slots hold entry index + 1, so fresh (zeroed) tables need no filling. */
const EMPTY = 0;

/** Buffers up to this size are kept for the next search (released by `release`). */
const SPARE_MAX_BYTES = 256 * 1024;
/**
 * One buffer kept between searches: checking a small history costs little more than
 * allocating its tables, and every part of a history gets a memo.
 */
let spare: ArrayBuffer | undefined;

export class ConfigurationMemo<State> {
  readonly #words: number;
  readonly #equal: (a: State, b: State) => boolean;
  readonly #maxEntries: number;
  /** Slot -> entry index + 1, or EMPTY. Power-of-two sized, at most half full. */
  #slots: Int32Array;
  #hashes: Uint32Array;
  /** Entry i's operation bitset is #bits[i * words, (i + 1) * words). */
  #bits: Uint32Array;
  readonly #states: State[] = [];
  #count = 0;
  /** The buffer the tables were first made in, handed back by `release`. */
  #firstBuffer: ArrayBuffer | undefined;

  /**
   * `words` 32-bit words per bitset; `maxBytes` bounds the tables together; `expected` entries
   * are made room for at once (growing costs more than a guess).
   */
  constructor(
    words: number,
    equal: (a: State, b: State) => boolean,
    maxBytes: number,
    expected = 32,
  ) {
    this.#words = words;
    this.#equal = equal;
    // Per entry: its bitset, its hash, two slots, and a pointer (plus the state it keeps alive).
    this.#maxEntries = Math.max(1024, Math.floor(maxBytes / (4 * words + 4 + 8 + 16)));
    const entries = 2 ** Math.ceil(Math.log2(Math.min(Math.max(expected, 32), 4096)));
    // One buffer for the three tables, the spare one when it is large enough.
    const bytes = 4 * (entries * 2 + entries + entries * words);
    const reused = spare !== undefined && spare.byteLength >= bytes ? spare : undefined;
    if (reused) spare = undefined;
    const buffer = reused ?? new ArrayBuffer(bytes);
    this.#firstBuffer = buffer;
    this.#slots = new Int32Array(buffer, 0, entries * 2);
    // Only the slots must start empty: hashes and bitsets are written before they are read.
    if (reused) this.#slots.fill(EMPTY);
    this.#hashes = new Uint32Array(buffer, 4 * entries * 2, entries);
    this.#bits = new Uint32Array(buffer, 4 * entries * 3, entries * words);
  }

  /** Records the configuration; false when it was recorded before. */
  add(bits: Uint32Array, bitsHash: number, state: State, stateHash: number): boolean {
    const hash = (bitsHash ^ Math.imul(stateHash, 0x9e3779b1)) >>> 0;
    const mask = this.#slots.length - 1;
    const words = this.#words;
    let slot = hash & mask;
    for (;;) {
      const taken = this.#slots[slot] as number;
      if (taken === EMPTY) break;
      const entry = taken - 1;
      if (this.#hashes[entry] === hash && this.#sameBits(entry, bits)) {
        if (this.#equal(this.#states[entry] as State, state)) return false;
      }
      slot = (slot + 1) & mask;
    }
    if (this.#count >= this.#maxEntries) return true; // full: explore again rather than grow
    const entry = this.#count++;
    if (entry >= this.#hashes.length) this.#growEntries();
    this.#hashes[entry] = hash;
    this.#bits.set(bits, entry * words);
    this.#states.push(state);
    this.#slots[slot] = entry + 1;
    if (this.#count * 2 > this.#slots.length) this.#rehash();
    return true;
  }

  #sameBits(entry: number, bits: Uint32Array): boolean {
    const base = entry * this.#words;
    for (let i = 0; i < this.#words; i++) if (this.#bits[base + i] !== bits[i]) return false;
    return true;
  }

  #growEntries(): void {
    const hashes = new Uint32Array(this.#hashes.length * 2);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const bits = new Uint32Array(hashes.length * this.#words);
    bits.set(this.#bits);
    this.#bits = bits;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.#count; entry++) {
      let slot = (this.#hashes[entry] as number) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = entry + 1;
    }
    this.#slots = slots;
  }

  /** Ends the memo's use: its first buffer may serve the next search. */
  release(): void {
    const buffer = this.#firstBuffer;
    this.#firstBuffer = undefined;
    if (buffer && buffer.byteLength <= SPARE_MAX_BYTES) spare = buffer;
  }
}
