/**
 * Lab 1 ("rpc")'s checkers, in report order, each with its kind (see named-checker.ts).
 */
import { namedChecker } from "../../../src/check/named-checker.ts";
import type { Checker, CheckResult, NamedChecker } from "../../../src/check/types.ts";
import { AT_MOST_ONCE, checkAtMostOnce } from "../../../src/kv/at-most-once.ts";
import { checkDurability, DURABILITY } from "../../../src/kv/durability.ts";
import { checkMemoryBound, MEMORY_BOUND } from "../../../src/kv/memory-bound.ts";
import { checkWireConformance, WIRE_CONFORMANCE } from "../../../src/kv/wire/wire-conformance.ts";
import { checkProgress, PROGRESS } from "./progress.ts";
import { checkStallIsolation, STALL_ISOLATION } from "./stall.ts";

export const rpcCheckers: readonly NamedChecker[] = [
  namedChecker(
    AT_MOST_ONCE,
    "safety",
    "One execution order, consistent with real time, explains every SUCCESS reply: answered calls ran exactly once, unanswered ones at most once.",
    checkAtMostOnce,
  ),
  namedChecker(
    DURABILITY,
    "safety",
    "Writes acknowledged before a crash are visible after the restart.",
    checkDurability,
  ),
  namedChecker(
    PROGRESS,
    "liveness",
    "On a clean network, AUTH_AMO calls with the current cookie succeed; the node becomes ready.",
    checkProgress,
  ),
  namedChecker(
    WIRE_CONFORMANCE,
    "safety",
    "Every reply is the one RFC 5531 and the lab contract fix for the call sent.",
    checkWireConformance,
  ),
  namedChecker(
    STALL_ISOLATION,
    "liveness",
    "A stalled connection delays no other connection's calls by more than 1 s.",
    checkStallIsolation,
  ),
  namedChecker(
    MEMORY_BOUND,
    "liveness",
    "Resident memory grows by less than 64 MiB over the memory probe.",
    checkMemoryBound,
  ),
];

export function checkRpcTrace(trace: Parameters<Checker>[0]): CheckResult[] {
  return rpcCheckers.map((c) => c.check(trace));
}
