/**
 * The example lab's one property, linearizable: the replies of every call (those that got one)
 * are explained by the calls taking effect one at a time, each between its invocation and its
 * first SUCCESS reply, in the counter's sequential specification (model.ts). Calls that never
 * got a definite reply may have taken effect or not. Decided by the core's search.
 */
import { type CallHistoryOp, deriveCallHistory, opBounds } from "../../src/check/call-history.ts";
import { checkHistory } from "../../src/check/linearizability/check-history.ts";
import type { Operation } from "../../src/check/linearizability/model.ts";
import { namedChecker } from "../../src/check/named-checker.ts";
import type { CheckResult } from "../../src/check/types.ts";
import type { Trace } from "../../src/trace/events.ts";
import { counterModel } from "./model.ts";
import {
  type CounterCall,
  type CounterResult,
  isCounterCall,
  isCounterResult,
} from "./protocol.ts";

export const LINEARIZABLE = "linearizable";
/** A bound so a pathological history is "unknown", never a hang; a few thousand ops take ms. */
const SEARCH_TIMEOUT_MS = 60_000;

type CounterOp = CallHistoryOp<CounterCall, CounterResult>;

function operationOf(op: CounterOp): Operation<CounterCall, CounterResult> {
  const first = op.successes[0];
  return first
    ? { input: op.call, output: first.result, callT: op.invokeT, returnT: first.t, id: op.id }
    : { input: op.call, callT: op.invokeT, id: op.id };
}

export function checkLinearizable(trace: Trace): CheckResult {
  const history = deriveCallHistory(trace, isCounterCall, isCounterResult);
  // A call that got only definite refusals never took effect; NULL never touches the counter.
  const ops = history.ops.filter((op) => op.status !== "fail" && op.call.proc !== "NULL");
  const answered = ops.filter((op) => op.status === "ok").length;
  if (answered === 0) {
    const refused = history.ops.filter((op) => op.status === "fail" && op.call.proc !== "NULL");
    return {
      property: LINEARIZABLE,
      verdict: "unknown",
      summary:
        refused.length > 0
          ? `No ADD or READ got a SUCCESS reply (${refused.length} were refused with an RPC error, e.g. PROC_UNAVAIL: not implemented), so there is nothing to judge.`
          : "No ADD or READ got a reply, so there is nothing to judge.",
      evidence: [],
    };
  }
  const result = checkHistory(counterModel, ops.map(operationOf), { timeoutMs: SEARCH_TIMEOUT_MS });
  if (result.verdict === "linearizable") {
    return {
      property: LINEARIZABLE,
      verdict: "pass",
      summary: `The ${answered} answered calls (and ${ops.length - answered} without a reply) are explained by one order of execution.`,
      evidence: [],
    };
  }
  const violation = result.parts.find((part) => part.verdict.kind === "violation")?.verdict;
  if (result.verdict === "unknown" || violation?.kind !== "violation") {
    return {
      property: LINEARIZABLE,
      verdict: "unknown",
      summary: `The search for an order of the ${ops.length} calls hit its bound after ${result.steps} steps: no verdict.`,
      evidence: [],
    };
  }
  const culprits = (
    violation.smallest ?? [...violation.furthest.placed, violation.furthest.blocked]
  )
    .map((index) => ops[index] as CounterOp)
    .sort((a, b) => a.invokeT - b.invokeT);
  const shown = culprits.map(
    (op) => `op ${op.id} ${counterModel.describeOperation(op.call, op.successes[0]?.result)}`,
  );
  const why =
    culprits.length === 1
      ? "This call's reply cannot be explained, whatever the other calls returned (each still took effect between its call and its reply)"
      : `These ${culprits.length} calls cannot be ordered one after another so that each reply is what the counter would return (an ADD returns the value right after its own addition)`;
  return {
    property: LINEARIZABLE,
    verdict: "fail",
    summary: `No order of execution explains ${culprits.length === 1 ? "this call's reply" : `these ${culprits.length} calls' replies`}: ${shown.join("; ")}.`,
    evidence: [
      {
        message: `${why}.`,
        events: culprits.flatMap(opBounds).sort((a, b) => a - b),
        ops: culprits.map((op) => op.id),
      },
    ],
  };
}

export const counterCheckers = [
  namedChecker(
    LINEARIZABLE,
    "safety",
    "Every reply is explained by the calls taking effect one at a time, each between its call and its reply (linearizability of one counter).",
    checkLinearizable,
  ),
];
