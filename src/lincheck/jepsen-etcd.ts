/**
 * Jepsen's etcd register logs (`jepsen.util - P<TAB>:invoke|:ok|:fail|:info<TAB>:read|:write|
 * :cas<TAB>VALUE`, other lines ignored) and their model: one register, initially nil; read
 * returns it, write sets it, cas [old new] sets it to new when it holds old.
 */
import type { LinearizabilityModel, Operation } from "../check/linearizability/model.ts";
import {
  type Completion,
  type HistoryEvent,
  HistoryFormatError,
  pairEvents,
} from "./history-events.ts";

export type Register = number | null;

export type EtcdInput =
  | { f: "read" }
  | { f: "write"; value: number }
  | { f: "cas"; from: number; to: number };

/** A read's value; write and cas that returned ok carry `true`. */
export type EtcdOutput = Register | true;

interface EtcdLine {
  f: EtcdInput["f"];
  text: string;
}

const LINE = /jepsen\.util - (\d+)\t:(invoke|ok|fail|info)\t:(read|write|cas)\t(.*)$/;

function value(file: string, line: number, text: string): Register {
  if (text === "nil") return null;
  if (!/^-?\d+$/.test(text)) {
    throw new HistoryFormatError(
      `${file}:${line}: ${JSON.stringify(text)} is not nil or an integer`,
    );
  }
  return Number(text);
}

export function parseEtcdHistory(file: string, text: string): Operation<EtcdInput, EtcdOutput>[] {
  const events: HistoryEvent<EtcdLine>[] = [];
  text.split("\n").forEach((raw, i) => {
    const m = LINE.exec(raw.trimEnd());
    if (!m) return;
    events.push({
      process: Number(m[1]),
      type: m[2] as "invoke" | Completion,
      payload: { f: m[3] as EtcdInput["f"], text: m[4] as string },
      line: i + 1,
    });
  });
  if (events.length === 0) {
    throw new HistoryFormatError(
      `${file}: no "jepsen.util - P<TAB>:invoke<TAB>:read|:write|:cas<TAB>VALUE" line: not a Jepsen etcd log`,
    );
  }
  const lineOf = new Map(events.map((e) => [e.payload, e.line]));
  return pairEvents<EtcdLine, EtcdInput, EtcdOutput>(file, events, (invoke, result) => {
    const line = lineOf.get(invoke) ?? 0;
    if (invoke.f === "read") {
      const output =
        result === undefined ? undefined : value(file, lineOf.get(result) ?? 0, result.text);
      return { input: { f: "read" }, output };
    }
    if (invoke.f === "write") {
      const written = value(file, line, invoke.text);
      if (written === null) throw new HistoryFormatError(`${file}:${line}: a write of nil`);
      return { input: { f: "write", value: written }, output: true };
    }
    const pair = /^\[(-?\d+) (-?\d+)\]$/.exec(invoke.text);
    if (!pair)
      throw new HistoryFormatError(`${file}:${line}: cas value ${invoke.text} is not [old new]`);
    return { input: { f: "cas", from: Number(pair[1]), to: Number(pair[2]) }, output: true };
  });
}

export const etcdModel: LinearizabilityModel<Register, EtcdInput, EtcdOutput> = {
  init: null,
  step(state, input, output) {
    switch (input.f) {
      case "read":
        return output === undefined || output === state ? state : undefined;
      case "write":
        return input.value;
      case "cas":
        // A cas seen to succeed must find `from`; one whose outcome is unknown may fail.
        if (state === input.from) return input.to;
        return output === undefined ? state : undefined;
    }
  },
  hash: (state) => (state === null ? 0x7fffffff : state) >>> 0,
  equal: (a, b) => a === b,
  describeOperation(input, output) {
    const result = output === undefined ? "?" : output === true ? "ok" : String(output ?? "nil");
    if (input.f === "read") return `read -> ${result}`;
    if (input.f === "write") return `write(${input.value}) -> ${result}`;
    return `cas(${input.from}, ${input.to}) -> ${result}`;
  },
  describeState: (state) => String(state ?? "nil"),
};
