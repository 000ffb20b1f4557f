/**
 * The contract's hierarchical key-value store as a pure, immutable model: what the checkers
 * replay calls against. Keys are `"/" | ("/" name)+`, name = [A-Za-z0-9_]+, at most 512
 * bytes; "/" always exists with value "". Error precedence: malformed key, then exists /
 * not found, then no parent / has children.
 */
import type { KvCall, KvResult, KvStatus } from "./kv-types.ts";

export interface KvState {
  /** Every key except "/", to its value. Never mutated once built. */
  readonly entries: ReadonlyMap<string, string>;
  /** Order-independent hash of the entries, kept up to date on every change. */
  readonly hash: number;
}

export const EMPTY_STATE: KvState = { entries: new Map(), hash: 0 };

const KEY_PATTERN = /^(\/[A-Za-z0-9_]+)+$/;
const MAX_KEY_BYTES = 512;

export function isWellFormedKey(key: string): boolean {
  if (key === "/") return true;
  return Buffer.byteLength(key) <= MAX_KEY_BYTES && KEY_PATTERN.test(key);
}

/** The top-level name a well-formed key other than "/" lives under ("/a/b" -> "a"). */
export function topLevelName(key: string): string {
  const end = key.indexOf("/", 1);
  return end === -1 ? key.slice(1) : key.slice(1, end);
}

export function parentOf(key: string): string {
  const cut = key.lastIndexOf("/");
  return cut <= 0 ? "/" : key.slice(0, cut);
}

/** The contract's order for LIST: ascending unsigned bytes. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function exists(state: KvState, key: string): boolean {
  return key === "/" || state.entries.has(key);
}

function childNames(state: KvState, key: string): string[] {
  const prefix = key === "/" ? "/" : `${key}/`;
  const names: string[] = [];
  for (const k of state.entries.keys()) {
    if (k.startsWith(prefix) && k.indexOf("/", prefix.length) === -1) {
      names.push(k.slice(prefix.length));
    }
  }
  // Names match [A-Za-z0-9_]+, so UTF-16 order is byte order.
  return names.sort();
}

function hasChildren(state: KvState, key: string): boolean {
  const prefix = `${key}/`;
  for (const k of state.entries.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

/** FNV-1a over the key and a sample of the value: equal entries hash equal, which is all
 * the memo needs (it compares states in full on a hash match). Values can be 64 KiB. */
function entryHash(key: string, val: string): number {
  let h = 0x811c9dc5;
  const mix = (c: number): void => {
    h = Math.imul(h ^ c, 0x01000193);
  };
  for (let i = 0; i < key.length; i++) mix(key.charCodeAt(i));
  mix(0);
  mix(val.length);
  const step = Math.max(1, Math.floor(val.length / 64));
  for (let i = 0; i < val.length; i += step) mix(val.charCodeAt(i));
  return h >>> 0;
}

function withEntry(state: KvState, key: string, val: string): KvState {
  const entries = new Map(state.entries);
  const old = entries.get(key);
  entries.set(key, val);
  const removed = old === undefined ? 0 : entryHash(key, old);
  return { entries, hash: (state.hash - removed + entryHash(key, val)) >>> 0 };
}

function withoutEntry(state: KvState, key: string): KvState {
  const old = state.entries.get(key);
  if (old === undefined) return state;
  const entries = new Map(state.entries);
  entries.delete(key);
  return { entries, hash: (state.hash - entryHash(key, old)) >>> 0 };
}

export interface Step {
  state: KvState;
  result: KvResult;
}

const unchanged = (state: KvState, result: KvResult): Step => ({ state, result });

/** Executes one call on the model. NULL and BOOT do not touch the store. */
export function applyCall(state: KvState, call: KvCall): Step {
  switch (call.proc) {
    case "NULL":
      return unchanged(state, { proc: "NULL" });
    case "BOOT":
      return unchanged(state, { proc: "BOOT", cookie: "" });
    case "CREATE": {
      const status: KvStatus = !isWellFormedKey(call.key)
        ? "KV_MALFORMED_KEY"
        : exists(state, call.key)
          ? "KV_KEY_EXISTS"
          : !exists(state, parentOf(call.key))
            ? "KV_NO_PARENT"
            : "KV_OK";
      const next = status === "KV_OK" ? withEntry(state, call.key, call.val) : state;
      return { state: next, result: { proc: "CREATE", status } };
    }
    case "SET": {
      const status = mutableKeyStatus(state, call.key);
      const next = status === "KV_OK" ? withEntry(state, call.key, call.val) : state;
      return { state: next, result: { proc: "SET", status } };
    }
    case "REMOVE": {
      let status = mutableKeyStatus(state, call.key);
      if (status === "KV_OK" && hasChildren(state, call.key)) status = "KV_HAS_CHILDREN";
      const next = status === "KV_OK" ? withoutEntry(state, call.key) : state;
      return { state: next, result: { proc: "REMOVE", status } };
    }
    case "GET": {
      const status = readableKeyStatus(state, call.key);
      if (status !== "KV_OK") return unchanged(state, { proc: "GET", status });
      return unchanged(state, { proc: "GET", status, val: state.entries.get(call.key) ?? "" });
    }
    case "LIST": {
      const status = readableKeyStatus(state, call.key);
      if (status !== "KV_OK") return unchanged(state, { proc: "LIST", status });
      return unchanged(state, { proc: "LIST", status, children: childNames(state, call.key) });
    }
  }
}

/** SET and REMOVE: "/" cannot be changed, so it counts as malformed for them. */
function mutableKeyStatus(state: KvState, key: string): KvStatus {
  if (key === "/" || !isWellFormedKey(key)) return "KV_MALFORMED_KEY";
  return exists(state, key) ? "KV_OK" : "KV_KEY_NOT_FOUND";
}

function readableKeyStatus(state: KvState, key: string): KvStatus {
  if (!isWellFormedKey(key)) return "KV_MALFORMED_KEY";
  return exists(state, key) ? "KV_OK" : "KV_KEY_NOT_FOUND";
}

export function sameResult(a: KvResult, b: KvResult): boolean {
  switch (a.proc) {
    case "NULL":
      return b.proc === "NULL";
    case "BOOT":
      return b.proc === "BOOT" && a.cookie === b.cookie;
    case "GET":
      return (
        b.proc === "GET" &&
        a.status === b.status &&
        (a.status !== "KV_OK" || (a.val ?? "") === (b.val ?? ""))
      );
    case "LIST":
      return (
        b.proc === "LIST" &&
        a.status === b.status &&
        (a.status !== "KV_OK" || sameNames(a.children ?? [], b.children ?? []))
      );
    default:
      return b.proc === a.proc && b.status === a.status;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

export function sameState(a: KvState, b: KvState): boolean {
  if (a === b) return true;
  if (a.hash !== b.hash || a.entries.size !== b.entries.size) return false;
  for (const [k, v] of a.entries) if (b.entries.get(k) !== v) return false;
  return true;
}
