/**
 * The seeded draws every nemesis choice is made of. Each takes the generator and advances it,
 * so the order of the calls is part of what a seed reproduces: keep it.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { Range } from "./plan.ts";

export function draw(rng: RandomGenerator, r: Range): number {
  return uniformInt(rng, r.min, r.max);
}

/** One element, uniformly (the list must not be empty). */
export function pickOne<T>(rng: RandomGenerator, items: readonly T[]): T {
  return items[uniformInt(rng, 0, items.length - 1)] as T;
}

export function pickWeighted<T extends { weight: number }>(rng: RandomGenerator, choices: T[]): T {
  const total = choices.reduce((sum, c) => sum + c.weight, 0);
  let point = uniformFloat64(rng) * total;
  for (const c of choices) {
    point -= c.weight;
    if (point < 0) return c;
  }
  return choices[choices.length - 1] as T;
}

/** A seeded Fisher-Yates shuffle into a new array. */
export function shuffled<T>(rng: RandomGenerator, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = uniformInt(rng, 0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Largest minority of n: floor((n - 1) / 2) (0 below 3). */
export function largestMinority(n: number): number {
  return Math.floor((n - 1) / 2);
}

/** A random minority size of n nodes: 1 to floor((n - 1) / 2). */
export function drawMinoritySize(rng: RandomGenerator, n: number): number {
  return uniformInt(rng, 1, Math.max(1, largestMinority(n)));
}

/** `count` random members of `items`, listed in the order of `items` (for readable output). */
export function pickSome<T>(rng: RandomGenerator, items: readonly T[], count: number): T[] {
  const chosen = new Set(shuffled(rng, items).slice(0, count));
  return items.filter((item) => chosen.has(item));
}
