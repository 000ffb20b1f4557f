/**
 * Porcupine's key-value histories (`{:process P, :type :invoke|:ok, :f :get|:put|:append,
 * :key "K", :value "V"|nil}` a line) and their model: one string per key, get returns it ("" if
 * unset), put replaces it, append extends it. Keys are independent parts.
 */
import type { LinearizabilityModel, Operation } from "../check/linearizability/model.ts";
import {
  type Completion,
  extendHash,
  FNV_OFFSET,
  type HistoryEvent,
  HistoryFormatError,
  pairEvents,
} from "./history-events.ts";

export interface KvInput {
  f: "get" | "put" | "append";
  key: string;
  value: string;
}

interface KvLine {
  f: KvInput["f"];
  key: string;
  value: string | null;
}

const LINE =
  /^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key "([^"]*)", :value (nil|"[^"]*")\}$/;

export function parseKvHistory(file: string, text: string): Operation<KvInput, string>[] {
  const events: HistoryEvent<KvLine>[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const m = LINE.exec(line);
    if (!m) {
      throw new HistoryFormatError(
        `${file}:${i + 1}: not a key-value history line ({:process P, :type :invoke|:ok, :f :get|:put|:append, :key "K", :value "V"|nil}): ${line.slice(0, 120)}`,
      );
    }
    const value = m[5] === "nil" ? null : (m[5] as string).slice(1, -1);
    events.push({
      process: Number(m[1]),
      type: m[2] as "invoke" | Completion,
      payload: { f: m[3] as KvInput["f"], key: m[4] as string, value },
      line: i + 1,
    });
  });
  return pairEvents(file, events, (invoke, result) => ({
    input: { f: invoke.f, key: invoke.key, value: invoke.value ?? "" },
    output: result?.value ?? "",
  }));
}

/** A key's value with its FNV-1a hash, extended as appends extend the value (no rehashing). */
export interface KvValue {
  value: string;
  hash: number;
}

const EMPTY: KvValue = { value: "", hash: extendHash(FNV_OFFSET, "") };

export const kvModel: LinearizabilityModel<KvValue, KvInput, string> = {
  init: EMPTY,
  step(state, input, output) {
    if (input.f === "put") return { value: input.value, hash: extendHash(FNV_OFFSET, input.value) };
    if (input.f === "append") {
      return { value: state.value + input.value, hash: extendHash(state.hash, input.value) };
    }
    return output === undefined || output === state.value ? state : undefined;
  },
  hash: (state) => state.hash,
  equal: (a, b) => a.hash === b.hash && a.value === b.value,
  partition(operations) {
    const byKey = new Map<string, number[]>();
    operations.forEach((op, i) => {
      const part = byKey.get(op.input.key);
      if (part) part.push(i);
      else byKey.set(op.input.key, [i]);
    });
    return [...byKey.values()];
  },
  describeOperation(input, output) {
    if (input.f === "get")
      return `get(${input.key}) -> ${output === undefined ? "?" : JSON.stringify(output)}`;
    return `${input.f}(${input.key}, ${JSON.stringify(input.value)})`;
  },
  describeState: (state) => JSON.stringify(state.value),
};
