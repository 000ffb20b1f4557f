/**
 * Seeds on the command line, the same for every command: a seed is 0..2147483647 in decimal
 * digits, and a run of k seeds (seed, seed+1, ..., seed+k-1) must end in that range too, or
 * the reproduce commands printed for its last runs would be refused.
 */
import { MAX_REPEAT_RUNS } from "../lab/definition.ts";
import { UsageError } from "../lab/usage-error.ts";
import { wholeNumber } from "./parse-number.ts";

export const MAX_SEED = 2 ** 31 - 1;

export const parseSeed = wholeNumber(0, MAX_SEED, "a seed");

/** --seeds, --repeat: as many runs as a lab's own repeat rule may ask for. */
export const parseRunCount = wholeNumber(1, MAX_REPEAT_RUNS, "a number of runs (seeds)");

/** A first seed drawn so that any allowed number of runs stays in range. */
export function randomSeed(): number {
  return Math.floor(Math.random() * (MAX_SEED - MAX_REPEAT_RUNS + 2));
}

/** Refuses `runs` seeds from `first` when the last would pass MAX_SEED. */
export function checkSeedRange(first: number, runs: number): void {
  const last = first + runs - 1;
  if (last > MAX_SEED) {
    throw new UsageError(
      `${runs} runs from seed ${first} would reach seed ${last}, past the largest seed ${MAX_SEED}: use --seed ${MAX_SEED - runs + 1} or less, or fewer runs`,
    );
  }
}
