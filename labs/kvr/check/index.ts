/**
 * Lab 3 ("kvr")'s checkers, in report order, each with its kind (see named-checker.ts).
 */
import { namedChecker } from "../../../src/check/named-checker.ts";
import type { NamedChecker } from "../../../src/check/types.ts";
import { makeAtMostOnceChecker } from "../../../src/kv/at-most-once.ts";
import { checkDurability, DURABILITY } from "../../../src/kv/durability.ts";
import { checkMemoryBound, MEMORY_BOUND } from "../../../src/kv/memory-bound.ts";
import { makeWireChecker, WIRE_CONFORMANCE } from "../../../src/kv/wire/wire-conformance.ts";
import { AVAILABILITY, checkAvailability } from "./availability.ts";
import { CLUSTER_COOKIE, checkClusterCookie } from "./cluster-cookie.ts";
import { checkTermination, TERMINATION } from "./termination.ts";

export const LINEARIZABILITY = "linearizability";

export const kvrCheckers: readonly NamedChecker[] = [
  namedChecker(
    LINEARIZABILITY,
    "safety",
    "One execution order, consistent with real time, explains every reply from every node: answered calls ran exactly once, unanswered ones at most once, reads saw every write before them.",
    makeAtMostOnceChecker({ property: LINEARIZABILITY }),
  ),
  namedChecker(
    DURABILITY,
    "safety",
    "Writes acknowledged before a crash, of one node or of all, are visible after the restart.",
    checkDurability,
  ),
  namedChecker(
    CLUSTER_COOKIE,
    "safety",
    "Every node gives the same boot cookie for the whole run, across crashes of any or all nodes.",
    checkClusterCookie,
  ),
  namedChecker(
    WIRE_CONFORMANCE,
    "safety",
    "Every reply, from every node, is the one RFC 5531 and lab 1's contract fix for the call sent, with the cluster's one cookie.",
    makeWireChecker({ cookies: "cluster" }),
  ),
  namedChecker(
    AVAILABILITY,
    "liveness",
    "While a majority runs connected, calls sent to it are answered within the scenario's bound.",
    checkAvailability,
  ),
  namedChecker(
    TERMINATION,
    "liveness",
    "After the final heal, every call sent to any node is answered within the scenario's bound.",
    checkTermination,
  ),
  namedChecker(
    MEMORY_BOUND,
    "liveness",
    "Every node's resident memory grows by less than 64 MiB over the memory probe.",
    checkMemoryBound,
  ),
];
