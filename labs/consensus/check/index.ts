/**
 * Lab 2 ("consensus")'s checkers, in report order, each with its kind (see named-checker.ts).
 */
import { namedChecker } from "../../../src/check/named-checker.ts";
import type { Checker, CheckResult, NamedChecker } from "../../../src/check/types.ts";
import { AGREEMENT, checkAgreement } from "./agreement.ts";
import { AVAILABILITY, checkAvailability } from "./availability.ts";
import { checkIntegrity, INTEGRITY } from "./integrity.ts";
import { checkOutputFormat, OUTPUT_FORMAT } from "./output-format.ts";
import { checkTermination, TERMINATION } from "./termination.ts";
import { checkValidity, VALIDITY } from "./validity.ts";

export const consensusCheckers: readonly NamedChecker[] = [
  namedChecker(
    AGREEMENT,
    "safety",
    "No two outputs for a slot differ: decide lines and CONS_DECIDED answers of all nodes, across restarts.",
    checkAgreement,
  ),
  namedChecker(
    VALIDITY,
    "safety",
    "Every output is some node's input for its slot: a value proposed to it before it acknowledged its first proposal for the slot.",
    checkValidity,
  ),
  namedChecker(
    INTEGRITY,
    "safety",
    "A node outputs one value per slot, prints a slot at most once per run and never answers FALSE after TRUE.",
    checkIntegrity,
  ),
  namedChecker(
    OUTPUT_FORMAT,
    "safety",
    'Every decide line has a JSON integer "slot" and a standard padded base64 "value".',
    checkOutputFormat,
  ),
  namedChecker(
    TERMINATION,
    "liveness",
    "After the final heal, every acknowledged or decided slot is printed and answered TRUE by all nodes within the scenario's bound.",
    checkTermination,
  ),
  namedChecker(
    AVAILABILITY,
    "liveness",
    "During a stable period, a connected majority decides every slot its nodes acknowledged within the stated time.",
    checkAvailability,
  ),
];

export function checkConsensusTrace(trace: Parameters<Checker>[0]): CheckResult[] {
  return consensusCheckers.map((c) => c.check(trace));
}
