/**
 * at-most-once: the SUCCESS replies must be explained by ONE execution order consistent with
 * real time in which ok calls run exactly once (with the result the server replied),
 * indeterminate calls at most once, and failed calls never: linearizability of the KV model
 * with indeterminate ops. Keys under different top-level names are independent, so each is
 * searched on its own; LIST "/" couples them and is handled after (see checkRootLists).
 */

import type { Operation } from "../check/linearizability/model.ts";
import { searchPart } from "../check/linearizability/search.ts";
import { smallestViolation } from "../check/linearizability/smallest-violation.ts";
import type { Checker, CheckResult, Evidence } from "../check/types.ts";
import { quote } from "../rpc/describe-reply.ts";
import type { Trace } from "../trace/events.ts";
import { describeOp, describeResult } from "./kv-describe.ts";
import {
  deriveHistory,
  firstSuccess,
  type HistoryOp,
  opBounds,
  type SuccessReply,
  touchesState,
} from "./kv-history.ts";
import { type AcceptsResult, kvLinearizabilityModel } from "./kv-linearizability-model.ts";
import {
  applyCall,
  compareBytes,
  EMPTY_STATE,
  isWellFormedKey,
  sameResult,
  topLevelName,
} from "./kv-model.ts";
import type { KvCall, KvResult } from "./kv-types.ts";

export const AT_MOST_ONCE = "at-most-once";

export interface AtMostOnceOptions {
  /** The property its results are reported under (lab 3 calls it linearizability). */
  property?: string;
  /** Model steps one search may take before answering unknown. */
  stepBudget?: number;
  /** Model steps for the whole trace; partitions left when it runs out are unknown. */
  totalStepBudget?: number;
}

export const DEFAULT_STEP_BUDGET = 2_000_000;
export const DEFAULT_TOTAL_STEP_BUDGET = 20_000_000;
/** Ops listed in one evidence item at most (the latest ones are kept). */
const MAX_OPS_IN_EVIDENCE = 40;
/** Memo memory per search: a ceiling on the checker's memory, whatever the trace. */
const MEMO_BYTES = 64 * 2 ** 20;
/**
 * A safety net only: the step budgets decide (so a regrade gives the same verdict), this bounds
 * a search on a pathologically slow machine.
 */
const SEARCH_TIMEOUT_MS = 5 * 60_000;
/** Steps for the smallest contradictory set (steps, not time: the same evidence every run). */
const EVIDENCE_BUDGET = { trialSteps: 200_000, totalSteps: 2_000_000, memoBytes: MEMO_BYTES };

/** One independent search: the ops of one top-level name, or of several that LIST "/"
 * couples. LIST "/" results are cut down to `names`, the top-level keys this search models. */
interface Partition {
  label: string;
  names: Set<string>;
  ops: HistoryOp[];
  rootLists: HistoryOp[];
}

export function makeAtMostOnceChecker(options: AtMostOnceOptions = {}): Checker {
  const stepBudget = options.stepBudget ?? DEFAULT_STEP_BUDGET;
  const totalBudget = options.totalStepBudget ?? DEFAULT_TOTAL_STEP_BUDGET;
  const property = options.property ?? AT_MOST_ONCE;
  return (trace) => checkAtMostOnceWith(trace, property, stepBudget, totalBudget);
}

export const checkAtMostOnce: Checker = makeAtMostOnceChecker();

function checkAtMostOnceWith(
  trace: Trace,
  property: string,
  stepBudget: number,
  totalBudget: number,
): CheckResult {
  const history = deriveHistory(trace);
  const failures: Evidence[] = [...differingDuplicateReplies(history.ops)];
  const undecided: Evidence[] = [];

  const byName = new Map<string, HistoryOp[]>();
  const rootLists: HistoryOp[] = [];
  for (const op of history.ops) {
    if (!touchesState(op.call) || op.status === "fail") continue;
    const call = op.call as { proc: string; key: string };
    const readOnly = call.proc === "GET" || call.proc === "LIST";
    if (readOnly && op.status === "info") continue; // an unanswered read has no effect
    if (call.key === "/" && call.proc === "LIST") {
      rootLists.push(op);
    } else if (call.key === "/" || !isWellFormedKey(call.key)) {
      const wrong = stateIndependentMismatch(op);
      if (wrong) failures.push(wrong);
    } else {
      const name = topLevelName(call.key);
      const group = byName.get(name);
      if (group) group.push(op);
      else byName.set(name, [op]);
    }
  }
  const createdNames = new Set(
    [...byName.entries()]
      .filter(([name, ops]) =>
        ops.some((o) => o.call.proc === "CREATE" && o.call.key === `/${name}`),
      )
      .map(([name]) => name),
  );
  failures.push(...rootListShapeErrors(rootLists, createdNames));

  const partitions: Partition[] = [...byName.entries()]
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([name, ops]) => ({
      label: `/${name}`,
      names: new Set([name]),
      ops,
      rootLists: createdNames.has(name) ? rootLists : [],
    }));
  let budgetLeft = totalBudget;
  const search = (p: Partition): void => {
    if (budgetLeft <= 0) {
      undecided.push({
        message: `Keys under ${p.label} were not checked: the whole trace's search budget (${totalBudget} steps) was spent.`,
        events: [],
        ops: p.ops.map((o) => o.id),
      });
      return;
    }
    const verdict = searchPartition(p, Math.min(stepBudget, budgetLeft));
    budgetLeft -= verdict.steps;
    failures.push(...verdict.failures);
    undecided.push(...verdict.undecided);
  };
  partitions.forEach(search);

  // Each partition saw LIST "/" projected to its own name; one joint search over the
  // partitions LIST "/" really couples shows the LISTs agree on a single order.
  const coupled = partitions.filter(
    (p) => p.rootLists.length > 0 && existenceOverlapsList(p.ops, rootLists),
  );
  if (failures.length === 0 && undecided.length === 0 && coupled.length > 1) {
    search({
      label: `"/" (LIST / couples ${describeLabels(coupled.map((p) => p.label))})`,
      names: new Set(coupled.flatMap((p) => [...p.names])),
      ops: coupled.flatMap((p) => p.ops),
      rootLists,
    });
  }

  return verdictOf(property, history.ops, failures, undecided);
}

function verdictOf(
  property: string,
  ops: HistoryOp[],
  failures: Evidence[],
  undecided: Evidence[],
): CheckResult {
  const count = (s: HistoryOp["status"]): number => ops.filter((o) => o.status === s).length;
  if (failures.length > 0) {
    return {
      property,
      verdict: "fail",
      summary: `Some replies cannot come from executing each call at most once: ${failures[0]?.message}`,
      evidence: failures,
    };
  }
  if (undecided.length > 0) {
    return {
      property,
      verdict: "unknown",
      summary: `No violation found, but the check could not finish: ${undecided[0]?.message}`,
      evidence: undecided,
    };
  }
  return {
    property,
    verdict: "pass",
    summary: `All ${ops.length} calls (${count("ok")} answered, ${count("info")} indeterminate, ${count("fail")} never executed) are explained by one execution order that runs each call at most once.`,
    evidence: [],
  };
}

/** A retransmission executed again shows as a second, different SUCCESS reply. */
function differingDuplicateReplies(ops: HistoryOp[]): Evidence[] {
  const found: Evidence[] = [];
  for (const op of ops) {
    const first = firstSuccess(op);
    const other = op.successes.find((s) => !sameResult(first?.result as KvResult, s.result));
    if (!first || !other) continue;
    found.push({
      message: `${describeOp(op)} got two different SUCCESS replies, ${describeResult(first.result)} then ${describeResult(other.result)}: a retransmission was executed again.`,
      events: [op.invokeEvent, first.event, other.event],
      ops: [op.id],
    });
  }
  return found;
}

/** Calls on "/" (other than LIST) and on malformed keys have one right answer in any state. */
function stateIndependentMismatch(op: HistoryOp): Evidence | undefined {
  const got = firstSuccess(op);
  if (!got) return undefined;
  const want = applyCall(EMPTY_STATE, op.call).result;
  if (sameResult(want, got.result)) return undefined;
  return {
    message: `${describeOp(op)} must always return ${describeResult(want)}, but it returned ${describeResult(got.result)}.`,
    events: opBounds(op),
    ops: [op.id],
  };
}

/** LIST "/" is always KV_OK, sorted, and can only name top-level keys some call created. */
function rootListShapeErrors(rootLists: HistoryOp[], createdNames: Set<string>): Evidence[] {
  const found: Evidence[] = [];
  for (const op of rootLists) {
    const got = firstSuccess(op) as SuccessReply;
    const result = got.result;
    const names = result.proc === "LIST" ? (result.children ?? []) : [];
    let problem: string | undefined;
    if (result.proc !== "LIST" || result.status !== "KV_OK") {
      problem = `it returned ${describeResult(result)}, but "/" always exists`;
    } else if (names.some((n, i) => i > 0 && compareBytes(names[i - 1] as string, n) >= 0)) {
      problem = `its names [${names.join(", ")}] are not in strictly ascending byte order`;
    } else {
      const ghost = names.find((n) => !createdNames.has(n));
      if (ghost !== undefined) problem = `it names ${quote(ghost)}, which no call ever created`;
    }
    if (problem) {
      found.push({ message: `${describeOp(op)}: ${problem}.`, events: opBounds(op), ops: [op.id] });
    }
  }
  return found;
}

/**
 * Whether some call that may create or remove the partition's top-level key overlaps a
 * LIST "/" in real time (an indeterminate one from its invoke on). If none does, every
 * LIST "/" sees the same existence of that key in any order the partition allows, and
 * LIST commutes with the partition's other calls: its own projected search is exact.
 */
function existenceOverlapsList(ops: HistoryOp[], rootLists: HistoryOp[]): boolean {
  const changers = ops.filter((o) => {
    if (o.call.proc !== "CREATE" && o.call.proc !== "REMOVE") return false;
    if (o.call.key.indexOf("/", 1) !== -1) return false;
    const r = firstSuccess(o)?.result;
    return r === undefined || ("status" in r && r.status === "KV_OK");
  });
  return changers.some((c) => {
    const end = firstSuccess(c)?.t ?? Number.POSITIVE_INFINITY;
    return rootLists.some(
      (l) => c.invokeT <= (firstSuccess(l) as SuccessReply).t && end >= l.invokeT,
    );
  });
}

function toOperation(op: HistoryOp, names: Set<string>): Operation<KvCall, AcceptsResult> {
  const got = firstSuccess(op);
  if (!got) return { input: op.call, callT: op.invokeT, id: op.id };
  let accepts: AcceptsResult = (r) => sameResult(r, got.result);
  if (op.call.proc === "LIST" && op.call.key === "/") {
    // The search models only `names`: compare LIST "/" on those (both lists are sorted).
    const seen =
      got.result.proc === "LIST" ? (got.result.children ?? []).filter((n) => names.has(n)) : [];
    accepts = (r) =>
      r.proc === "LIST" && r.status === "KV_OK" && sameResult(r, { ...r, children: seen });
  }
  return { input: op.call, output: accepts, callT: op.invokeT, returnT: got.t, id: op.id };
}

interface PartitionVerdict {
  steps: number;
  failures: Evidence[];
  undecided: Evidence[];
}

function searchPartition(p: Partition, budget: number): PartitionVerdict {
  const ops = [...p.ops, ...p.rootLists];
  const operations = ops.map((o) => toOperation(o, p.names));
  const outcome = searchPart(kvLinearizabilityModel, operations, {
    maxSteps: budget,
    deadline: performance.now() + SEARCH_TIMEOUT_MS,
    memoBytes: MEMO_BYTES,
  });
  if (outcome.kind === "linearizable") return { steps: outcome.steps, failures: [], undecided: [] };
  if (outcome.kind === "unknown") {
    const info = ops.filter((o) => o.status === "info").length;
    return {
      steps: outcome.steps,
      failures: [],
      undecided: [
        {
          message: `The search for keys under ${p.label} (${ops.length} calls, ${info} indeterminate) gave up after ${outcome.bound === "steps" ? `${budget} steps` : `${SEARCH_TIMEOUT_MS / 60_000} minutes`} without finding an explanation or a contradiction.`,
          events: [],
          ops: ops.map((o) => o.id),
        },
      ],
    };
  }
  const { placed, blocked, state } = outcome.furthest;
  const blockedOp = ops[blocked] as HistoryOp;
  const blockedReply = firstSuccess(blockedOp);
  // The smallest set of replies the search found that no order explains together.
  const contradiction = smallestViolation(
    kvLinearizabilityModel,
    operations,
    outcome.furthest,
    EVIDENCE_BUDGET,
  )
    .map((i) => ops[i] as HistoryOp)
    .slice(-MAX_OPS_IN_EVIDENCE);
  const wouldBe = applyCall(state, blockedOp.call).result;
  const lastPlaced = placed.slice(-5).map((i) => ops[i] as HistoryOp);
  return {
    steps: outcome.steps,
    undecided: [],
    failures: [
      {
        message: `Under ${p.label}, no order that runs each call at most once explains ${describeOp(blockedOp)} returning ${blockedReply ? describeResult(blockedReply.result) : "its reply"}: ${contradiction.length === 1 ? "this reply cannot be explained" : `these ${contradiction.length} replies contradict each other`}, whatever the other calls returned (${contradiction.map(describeOp).join("; ")}).`,
        events: contradiction.flatMap(opBounds).sort((a, b) => a - b),
        ops: contradiction.map((o) => o.id),
      },
      {
        message: `The longest explainable order placed ${placed.length} calls, ending with ${lastPlaced.map(describeOp).join("; ") || "nothing"}; the store then held ${kvLinearizabilityModel.describeState(state)}, where ${describeOp(blockedOp)} would return ${describeResult(wouldBe)}.`,
        events: [...lastPlaced.flatMap(opBounds), ...opBounds(blockedOp)].sort((a, b) => a - b),
        ops: [...lastPlaced.map((o) => o.id), blockedOp.id],
      },
    ],
  };
}

function describeLabels(labels: string[]): string {
  const shown = labels.slice(0, 5).join(", ");
  return labels.length > 5 ? `${shown} and ${labels.length - 5} more` : shown;
}
