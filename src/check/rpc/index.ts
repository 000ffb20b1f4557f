/**
 * Lab 1 ("rpc")'s checkers, in report order. Each is wrapped so that a bug in a checker
 * surfaces as "unknown" with the error, never as an exception that loses the other results.
 */
import type { Checker, CheckResult, NamedChecker } from "../types.ts";
import { AT_MOST_ONCE, checkAtMostOnce } from "./at-most-once.ts";
import { checkDurability, DURABILITY } from "./durability.ts";
import { checkMemoryBound, MEMORY_BOUND } from "./memory.ts";
import { checkProgress, PROGRESS } from "./progress.ts";
import { checkStallIsolation, STALL_ISOLATION } from "./stall.ts";
import { checkWireConformance, WIRE_CONFORMANCE } from "./wire.ts";

/** Turns a thrown error into an "unknown" result naming the checker and the error. */
export function neverThrows(property: string, check: Checker): Checker {
  return (trace): CheckResult => {
    try {
      return check(trace);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return {
        property,
        verdict: "unknown",
        summary: `The ${property} checker failed on this trace (a dslab bug, please report it): ${why}`,
        evidence: [],
      };
    }
  };
}

const named = (property: string, description: string, check: Checker): NamedChecker => ({
  property,
  description,
  check: neverThrows(property, check),
});

export const rpcCheckers: readonly NamedChecker[] = [
  named(
    AT_MOST_ONCE,
    "One execution order, consistent with real time, explains every SUCCESS reply: answered calls ran exactly once, unanswered ones at most once.",
    checkAtMostOnce,
  ),
  named(
    DURABILITY,
    "Writes acknowledged before a crash are visible after the restart.",
    checkDurability,
  ),
  named(
    PROGRESS,
    "On a clean network, AUTH_AMO calls with the current cookie succeed; the node becomes ready.",
    checkProgress,
  ),
  named(
    WIRE_CONFORMANCE,
    "Every reply is the one RFC 5531 and the lab contract fix for the call sent.",
    checkWireConformance,
  ),
  named(
    STALL_ISOLATION,
    "A stalled connection delays no other connection's calls by more than 1 s.",
    checkStallIsolation,
  ),
  named(
    MEMORY_BOUND,
    "Resident memory grows by less than 64 MiB over the memory probe.",
    checkMemoryBound,
  ),
];

export function checkRpcTrace(trace: Parameters<Checker>[0]): CheckResult[] {
  return rpcCheckers.map((c) => c.check(trace));
}
