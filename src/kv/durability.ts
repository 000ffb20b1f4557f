/**
 * durability: a mutation acknowledged before a crash is visible to the first read of its key
 * after the restart. Only judged where nothing else could explain a difference: no other
 * call that may change that key (same key, an ancestor or a descendant; indeterminate calls
 * count until the end) overlaps the span from the write's invoke to the read's reply.
 */

import { countedVerdict, skippedResult } from "../check/counted-verdict.ts";
import type { CheckResult, Evidence } from "../check/types.ts";
import type { Trace } from "../trace/events.ts";
import { describeOp, describeResult } from "./kv-describe.ts";
import { deriveHistory, firstSuccess, type HistoryOp, opBounds } from "./kv-history.ts";
import { isWellFormedKey, topLevelName } from "./kv-model.ts";
import type { KvCall, KvResult } from "./kv-types.ts";

export const DURABILITY = "durability";

interface Restart {
  killEvent: number;
  killT: number;
  readyT: number;
}

function restartsOf(trace: Trace): Restart[] {
  const restarts: Restart[] = [];
  trace.events.forEach((e, index) => {
    if (e.type !== "node.kill") return;
    const ready = trace.events.find(
      (r, i) =>
        i > index && r.type === "node.ready" && r.node === e.node && r.incarnation > e.incarnation,
    );
    if (ready) restarts.push({ killEvent: index, killT: e.t, readyT: ready.t });
  });
  return restarts;
}

const keyOf = (call: KvCall): string | undefined => ("key" in call ? call.key : undefined);
const isMutation = (call: KvCall): boolean =>
  call.proc === "CREATE" || call.proc === "SET" || call.proc === "REMOVE";
const isRead = (call: KvCall): boolean => call.proc === "GET" || call.proc === "LIST";

/** Same key, or one is an ancestor of the other. */
function related(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

const endOf = (o: HistoryOp): number => firstSuccess(o)?.t ?? Number.POSITIVE_INFINITY;

interface OpIndex {
  /** Acknowledged KV_OK mutations per key, in invoke order. */
  writesByKey: Map<string, HistoryOp[]>;
  readsByKey: Map<string, HistoryOp[]>;
  /** Every mutation that may change the store, per top-level name: the only ones that can
   * touch a key's ancestors or descendants ("/" and malformed keys never change). */
  mutationsByTop: Map<string, HistoryOp[]>;
}

function push<K>(map: Map<K, HistoryOp[]>, key: K, op: HistoryOp): void {
  const list = map.get(key);
  if (list) list.push(op);
  else map.set(key, [op]);
}

function indexOps(ops: HistoryOp[]): OpIndex {
  const index: OpIndex = {
    writesByKey: new Map(),
    readsByKey: new Map(),
    mutationsByTop: new Map(),
  };
  for (const o of ops) {
    const key = keyOf(o.call);
    if (key === undefined || key === "/" || !isWellFormedKey(key)) continue;
    if (isRead(o.call)) push(index.readsByKey, key, o);
    if (!isMutation(o.call)) continue;
    push(index.mutationsByTop, topLevelName(key), o);
    const r = firstSuccess(o)?.result;
    if (r && "status" in r && r.status === "KV_OK") push(index.writesByKey, key, o);
  }
  return index;
}

/** What a read must show after `write` took effect; undefined when GET/LIST says nothing. */
function expectedAfter(write: KvCall, read: KvCall): ((r: KvResult) => boolean) | undefined {
  const present = write.proc !== "REMOVE";
  if (read.proc === "GET") {
    if (!present) return (r) => r.proc === "GET" && r.status === "KV_KEY_NOT_FOUND";
    const val = "val" in write ? write.val : "";
    return (r) => r.proc === "GET" && r.status === "KV_OK" && (r.val ?? "") === val;
  }
  if (read.proc === "LIST") {
    return (r) => r.proc === "LIST" && (r.status === "KV_OK") === present;
  }
  return undefined;
}

export function checkDurability(trace: Trace): CheckResult {
  const restarts = restartsOf(trace);
  if (restarts.length === 0) {
    return skippedResult(DURABILITY, "The node was never crashed and restarted in this run.");
  }
  const { ops } = deriveHistory(trace);
  const index = indexOps(ops);
  const failures: Evidence[] = [];
  let checked = 0;
  for (const restart of restarts) {
    for (const [key, keyWrites] of index.writesByKey) {
      // An earlier write to the key is always overlapped by a later one: check only the last.
      const write = keyWrites.filter((w) => endOf(w) < restart.killT).at(-1);
      const read = (index.readsByKey.get(key) ?? []).find((o) => o.invokeT >= restart.readyT);
      const got = read && firstSuccess(read);
      if (!write || !read || !got) continue;
      const interferes = (index.mutationsByTop.get(topLevelName(key)) ?? []).some(
        (o) =>
          o !== write &&
          o.status !== "fail" &&
          related(keyOf(o.call) as string, key) &&
          o.invokeT <= got.t &&
          // A duplicate answered SUCCESS after the first reply may have executed again (on a
          // server that breaks at-most-once): the at-most-once checker's finding, not lost data.
          Math.max(endOf(o), o.successes.at(-1)?.t ?? 0) >= write.invokeT,
      );
      const expected = expectedAfter(write.call, read.call);
      if (interferes || !expected) continue;
      checked++;
      if (!expected(got.result)) {
        failures.push({
          message: `${describeOp(write)} was acknowledged before the crash, but after the restart ${describeOp(read)} returned ${describeResult(got.result)}.`,
          events: [...opBounds(write), restart.killEvent, ...opBounds(read)],
          ops: [write.id, read.id],
        });
      }
    }
  }
  return countedVerdict(DURABILITY, checked, failures, {
    fail: `${failures.length} acknowledged write${failures.length === 1 ? " was" : "s were"} lost in a crash: ${failures[0]?.message}`,
    skipped:
      "The node restarted, but no acknowledged write was read back afterwards without other calls on that key in between.",
    pass: `All ${checked} acknowledged writes read back after a restart were still there.`,
  });
}
