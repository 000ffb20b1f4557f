/**
 * Lab 2 ("consensus")'s checkers, in report order, each wrapped like lab 1's so that a bug in
 * one surfaces as "unknown" with the error instead of losing the other results.
 */
import { neverThrows } from "../rpc/index.ts";
import type { Checker, CheckResult, NamedChecker } from "../types.ts";
import { AGREEMENT, checkAgreement } from "./agreement.ts";
import { AVAILABILITY, checkAvailability } from "./availability.ts";
import { checkIntegrity, INTEGRITY } from "./integrity.ts";
import { checkOutputFormat, OUTPUT_FORMAT } from "./output-format.ts";
import { checkTermination, TERMINATION } from "./termination.ts";
import { checkValidity, VALIDITY } from "./validity.ts";

const named = (property: string, description: string, check: Checker): NamedChecker => ({
  property,
  description,
  check: neverThrows(property, check),
});

export const consensusCheckers: readonly NamedChecker[] = [
  named(
    AGREEMENT,
    "No two outputs for a slot differ: decide lines and CONS_DECIDED answers of all nodes, across restarts.",
    checkAgreement,
  ),
  named(
    VALIDITY,
    "Every output is some node's input for its slot: a value proposed to it before it acknowledged its first proposal for the slot.",
    checkValidity,
  ),
  named(
    INTEGRITY,
    "A node outputs one value per slot, prints a slot at most once per run and never answers FALSE after TRUE.",
    checkIntegrity,
  ),
  named(
    OUTPUT_FORMAT,
    'Every decide line has a JSON integer "slot" and a standard padded base64 "value".',
    checkOutputFormat,
  ),
  named(
    TERMINATION,
    "After the final heal, every acknowledged or decided slot is printed and answered TRUE by all nodes within the scenario's bound.",
    checkTermination,
  ),
  named(
    AVAILABILITY,
    "During a stable period, a connected majority decides every slot its nodes acknowledged within the stated time.",
    checkAvailability,
  ),
];

export function checkConsensusTrace(trace: Parameters<Checker>[0]): CheckResult[] {
  return consensusCheckers.map((c) => c.check(trace));
}
