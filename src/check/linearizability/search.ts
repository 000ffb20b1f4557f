/**
 * The linearizability search over one part of a history: the Wing-Gong algorithm with Lowe's
 * memoisation on (set of linearized operations, model state), as Porcupine does it, over any
 * model. Operations whose outcome is unknown are placed only after every answered candidate
 * was tried (lazily, just where a later result needs them): that changes nothing about
 * completeness, only about speed. Bounded in steps, time and memo memory: past a bound the
 * answer is "unknown", never "linearizable".
 */
import { ConfigurationMemo } from "./memo.ts";
import type { LinearizabilityModel, Operation } from "./model.ts";

export interface SearchLimits {
  /** Model steps before giving up. */
  maxSteps: number;
  /** performance.now() after which the search gives up. */
  deadline: number;
  /** Memo size ceiling (bytes of bitsets and bookkeeping). */
  memoBytes: number;
}

/** How far the deepest attempt got before an operation's result could not be explained. */
export interface Furthest<State> {
  /** Indexes into the searched operations, in the order the deepest attempt placed them. */
  placed: number[];
  /** The operation whose result came before any order could place it. */
  blocked: number;
  /** The model state after `placed`. */
  state: State;
}

export type PartOutcome<State> =
  | { kind: "linearizable"; steps: number }
  | { kind: "violation"; steps: number; furthest: Furthest<State> }
  | { kind: "unknown"; steps: number; bound: "steps" | "time" };

interface Entry {
  isCall: boolean;
  op: number;
  time: number;
  /** A call's return entry. */
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

/**
 * The history as one list of call and return entries in time order; equal times count as
 * concurrent (calls first), so a tie never shows as a violation. Calls and returns are sorted
 * apart and merged: histories come nearly sorted, which the sort then does in about linear time.
 */
function buildList<I, O>(ops: readonly Operation<I, O>[]): Entry {
  const callT = (i: number) => (ops[i] as Operation<I, O>).callT;
  const returnT = (i: number) => (ops[i] as Operation<I, O>).returnT ?? Number.POSITIVE_INFINITY;
  const indexes = ops.map((_, i) => i);
  const calls = indexes.slice().sort((a, b) => callT(a) - callT(b) || a - b);
  const returns = indexes.sort((a, b) => returnT(a) - returnT(b) || a - b);
  const returnEntries = ops.map((_, i): Entry => ({ isCall: false, op: i, time: returnT(i) }));
  const head: Entry = { isCall: false, op: -1, time: Number.NEGATIVE_INFINITY };
  let prev = head;
  const append = (entry: Entry) => {
    prev.next = entry;
    entry.prev = prev;
    prev = entry;
  };
  let r = 0;
  for (const op of calls) {
    while (r < returns.length && returnT(returns[r] as number) < callT(op)) {
      append(returnEntries[returns[r++] as number] as Entry);
    }
    append({ isCall: true, op, time: callT(op), match: returnEntries[op] });
  }
  while (r < returns.length) append(returnEntries[returns[r++] as number] as Entry);
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

/** A fixed pseudo-random 32-bit tag per operation, XORed into the hash of the linearized set. */
function opTag(i: number): number {
  let x = Math.imul(i + 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** How often (in steps) the clock is read: often enough to stop within milliseconds. */
const CLOCK_EVERY = 4096;

/**
 * Depth-first search over the order of calls. At each point the candidates are the calls
 * invoked before the earliest pending result.
 */
export function searchPart<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  limits: SearchLimits,
): PartOutcome<S> {
  const head = buildList(ops);
  const words = Math.ceil(ops.length / 32) || 1;
  const bits = new Uint32Array(words);
  const tags = ops.map((_, i) => opTag(i));
  let bitsHash = 0;
  const toggle = (i: number): void => {
    bits[i >>> 5] = (bits[i >>> 5] as number) ^ (1 << (i & 31));
    bitsHash = (bitsHash ^ (tags[i] as number)) >>> 0;
  };
  const memo = new ConfigurationMemo<S>(words, model.equal, limits.memoBytes, ops.length * 4);
  const stack: Array<{ entry: Entry; state: S; deferred: boolean }> = [];
  let state = model.init;
  let steps = 0;
  let furthest: Furthest<S> | undefined;
  let entry = head.next;
  let deferredPhase = false;
  try {
    while (head.next) {
      if (!entry) break; // unreachable: a list ends with a return entry
      if (entry.isCall) {
        const op = ops[entry.op] as Operation<I, O>;
        const unknownOutcome = op.returnT === undefined;
        if (unknownOutcome !== deferredPhase) {
          entry = entry.next;
          continue;
        }
        if (++steps > limits.maxSteps) return { kind: "unknown", steps, bound: "steps" };
        if (steps % CLOCK_EVERY === 0 && performance.now() > limits.deadline) {
          return { kind: "unknown", steps, bound: "time" };
        }
        const next = model.step(state, op.input, unknownOutcome ? undefined : op.output);
        if (next !== undefined) {
          toggle(entry.op);
          if (memo.add(bits, bitsHash, next, model.hash(next))) {
            stack.push({ entry, state, deferred: deferredPhase });
            state = next;
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
  } finally {
    memo.release();
  }
}
