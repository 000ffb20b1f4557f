/**
 * The history formats `dslab lincheck` reads, each checked under its model. An entry parses,
 * searches and describes with its own types, and hands back only text and numbers.
 */
import {
  checkHistory,
  type HistoryLimits,
  type HistoryVerdict,
  type PartReport,
} from "../check/linearizability/check-history.ts";
import type { LinearizabilityModel, Operation } from "../check/linearizability/model.ts";
import { etcdModel, parseEtcdHistory } from "./jepsen-etcd.ts";
import { kvModel, parseKvHistory } from "./jepsen-kv.ts";

export interface DescribedOperation {
  /** The line of its invocation. */
  line: number;
  text: string;
  /** The line of its result, when it returned. */
  returnLine?: number;
}

export interface LincheckReport {
  verdict: "linearizable" | "not-linearizable" | "unknown";
  operations: number;
  parts: number;
  searchedParts: number;
  steps: number;
  ms: number;
  violation?: {
    part: string;
    partOperations: number;
    /** The smallest set found whose results no order explains together. */
    smallest: DescribedOperation[];
    /** How far the deepest order got, and what it could not place next. */
    placed: number;
    blocked: DescribedOperation;
    state: string;
  };
  /** Parts the bounds left undecided. */
  unknown: Array<{ part: string; partOperations: number; bound: string }>;
}

export interface HistoryChecker {
  /** What the format is, for --help. */
  what: string;
  /** Reads a history (HistoryFormatError when it is not one), ready to be checked. */
  parse(file: string, text: string): ParsedHistory;
}

export interface ParsedHistory {
  check(limits: Partial<HistoryLimits>): LincheckReport;
  /** The verdict alone, with nothing described (what a benchmark times). */
  verdict(limits: Partial<HistoryLimits>): LincheckReport["verdict"];
}

function historyChecker<S, I, O>(
  what: string,
  parse: (file: string, text: string) => Operation<I, O>[],
  model: LinearizabilityModel<S, I, O>,
  partName: (operation: Operation<I, O>) => string,
): HistoryChecker {
  return {
    what,
    parse: (file, text) => {
      const operations = parse(file, text);
      return {
        check: (limits) => report(operations, checkHistory(model, operations, limits)),
        verdict: (limits) => checkHistory(model, operations, limits).verdict,
      };
    },
  };

  function report(operations: Operation<I, O>[], result: HistoryVerdict<S>): LincheckReport {
    const describe = (i: number): DescribedOperation => {
      const op = operations[i] as Operation<I, O>;
      const returned = op.returnT !== undefined;
      return {
        line: op.id ?? i,
        text: model.describeOperation(op.input, returned ? op.output : undefined),
        ...(returned ? { returnLine: op.returnT } : {}),
      };
    };
    const nameOf = (part: PartReport<S>) =>
      partName(operations[part.operations[0] as number] as Operation<I, O>);
    const violating = result.parts.find((p) => p.verdict.kind === "violation");
    const described: LincheckReport = {
      verdict: result.verdict,
      operations: operations.length,
      parts: result.parts.length,
      searchedParts: result.parts.filter((p) => p.verdict.kind !== "not-searched").length,
      steps: result.steps,
      ms: result.ms,
      unknown: result.parts.flatMap((p) =>
        p.verdict.kind === "unknown"
          ? [{ part: nameOf(p), partOperations: p.operations.length, bound: p.verdict.bound }]
          : [],
      ),
    };
    if (violating?.verdict.kind === "violation") {
      const { furthest, smallest } = violating.verdict;
      described.violation = {
        part: nameOf(violating),
        partOperations: violating.operations.length,
        smallest: (smallest ?? []).map(describe),
        placed: furthest.placed.length,
        blocked: describe(furthest.blocked),
        state: model.describeState(furthest.state),
      };
    }
    return described;
  }
}

export const HISTORY_MODELS: Record<string, HistoryChecker> = {
  kv: historyChecker(
    "Porcupine/Jepsen key-value EDN lines (get/put/append), one part per key",
    parseKvHistory,
    kvModel,
    (op) => `key ${JSON.stringify(op.input.key)}`,
  ),
  etcd: historyChecker(
    "Jepsen etcd register logs (read/write/cas; :info = outcome unknown)",
    parseEtcdHistory,
    etcdModel,
    () => "the register",
  ),
};
