import { uniformBigInt } from "pure-rand/distribution/uniformBigInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** 64-bit client ids drawn from the seed: distinct per client, stable per seed. */
export function clientIds(seed: number, count: number): bigint[] {
  const rng = xoroshiro128plus(seed ^ 0x5eed);
  const ids = new Set<bigint>();
  while (ids.size < count) ids.add(uniformBigInt(rng, 1n, 2n ** 64n - 1n));
  return [...ids];
}
