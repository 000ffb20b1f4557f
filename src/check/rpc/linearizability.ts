/**
 * Linearizability search over the KV model with indeterminate ops: the Wing-Gong algorithm
 * with Lowe's memoisation on (set of linearized ops, model state), as Porcupine does it.
 * Pure and bounded: it gives up after `stepBudget` model steps rather than run forever.
 */
import type { KvCall, KvResult } from "../../rpc/kv-types.ts";
import { applyCall, EMPTY_STATE, type KvState, sameState } from "./kv-model.ts";

export interface LinOp {
  call: KvCall;
  invokeT: number;
  /** Time of the first SUCCESS reply; undefined for an indeterminate op, which may take
   * effect at any time after its invoke, or never. */
  returnT?: number;
  /** Whether the model's result matches what the server replied; undefined means any
   * result is fine (indeterminate op). */
  accepts?: (modelResult: KvResult) => boolean;
}

export interface Furthest {
  /** Indexes into the ops array, in the order the deepest attempt placed them. */
  placed: number[];
  /** The op whose reply came before any order could place it. */
  blocked: number;
  /** The model state after `placed`. */
  state: KvState;
}

export type SearchOutcome =
  | { kind: "linearizable"; steps: number }
  | { kind: "violation"; steps: number; furthest: Furthest }
  | { kind: "budget-exceeded"; steps: number };

interface Entry {
  isCall: boolean;
  op: number;
  time: number;
  /** A call's return entry. */
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

function buildList(ops: readonly LinOp[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    const ret: Entry = { isCall: false, op: i, time: op.returnT ?? Number.POSITIVE_INFINITY };
    entries.push({ isCall: true, op: i, time: op.invokeT, match: ret }, ret);
  });
  // Equal times count as concurrent (calls first): never report a violation on a tie.
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Entry = { isCall: false, op: -1, time: Number.NEGATIVE_INFINITY };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

/** Removes a call and its return from the list; their own links stay for `unlift`. */
function lift(call: Entry): void {
  const ret = call.match as Entry;
  (call.prev as Entry).next = call.next;
  if (call.next) call.next.prev = call.prev;
  (ret.prev as Entry).next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Entry): void {
  const ret = call.match as Entry;
  (ret.prev as Entry).next = ret;
  if (ret.next) ret.next.prev = ret;
  (call.prev as Entry).next = call;
  if (call.next) call.next.prev = call;
}

/** A fixed pseudo-random 32-bit tag per op, XORed into the hash of the linearized set. */
function opTag(i: number): number {
  let x = Math.imul(i + 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

class Memo {
  private readonly buckets = new Map<number, Array<{ bits: Uint32Array; state: KvState }>>();

  /** Records the configuration; false when it was seen already (and so led nowhere). */
  add(bits: Uint32Array, bitsHash: number, state: KvState): boolean {
    const key = (bitsHash ^ Math.imul(state.hash, 0x9e3779b1)) >>> 0;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    for (const seen of bucket) {
      if (sameBits(seen.bits, bits) && sameState(seen.state, state)) return false;
    }
    bucket.push({ bits: bits.slice(), state });
    return true;
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Depth-first search over the order of calls. At each point the candidates are the calls
 * invoked before the earliest pending reply; answered calls are tried first and
 * indeterminate ones only after (phase 2), so they take effect lazily, just where a later
 * reply needs them: the order changes nothing about completeness, only about speed.
 */
export function checkLinearizable(ops: readonly LinOp[], stepBudget: number): SearchOutcome {
  const head = buildList(ops);
  const bits = new Uint32Array(Math.ceil(ops.length / 32) || 1);
  let bitsHash = 0;
  const toggle = (i: number): void => {
    bits[i >>> 5] = (bits[i >>> 5] as number) ^ (1 << (i & 31));
    bitsHash = (bitsHash ^ opTag(i)) >>> 0;
  };
  const memo = new Memo();
  const stack: Array<{ entry: Entry; state: KvState; deferred: boolean }> = [];
  let state = EMPTY_STATE;
  let steps = 0;
  let furthest: Furthest | undefined;
  let entry = head.next;
  let deferredPhase = false;
  while (head.next) {
    if (!entry) break; // unreachable: a list ends with a return entry
    if (entry.isCall) {
      const op = ops[entry.op] as LinOp;
      if ((op.accepts === undefined) !== deferredPhase) {
        entry = entry.next;
        continue;
      }
      if (++steps > stepBudget) return { kind: "budget-exceeded", steps };
      const step = applyCall(state, op.call);
      if (!op.accepts || op.accepts(step.result)) {
        toggle(entry.op);
        if (memo.add(bits, bitsHash, step.state)) {
          stack.push({ entry, state, deferred: deferredPhase });
          state = step.state;
          lift(entry);
          entry = head.next;
          deferredPhase = false;
          continue;
        }
        toggle(entry.op);
      }
      entry = entry.next;
    } else if (!deferredPhase) {
      deferredPhase = true;
      entry = head.next;
    } else {
      if (!furthest || stack.length > furthest.placed.length) {
        furthest = { placed: stack.map((s) => s.entry.op), blocked: entry.op, state };
      }
      const top = stack.pop();
      if (!top) return { kind: "violation", steps, furthest };
      toggle(top.entry.op);
      state = top.state;
      unlift(top.entry);
      entry = top.entry.next;
      deferredPhase = top.deferred;
    }
  }
  return { kind: "linearizable", steps };
}
