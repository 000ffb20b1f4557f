/**
 * Splitting a class across CI runners or machines: `--shard i/n` takes every n-th submission
 * of the list sorted by name, starting at the i-th. The same folder gives every runner the
 * same list, so the shards are disjoint and together cover every submission.
 */
export interface Shard {
  /** From 1 to count. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard takes i/n with 1 <= i <= n (e.g. 2/4), not "${text}"`);
  }
  return { index, count };
}

/** Byte-wise order: the same on every machine, whatever its locale. */
export function sortNames(names: string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function namesInShard(names: string[], shard: Shard | undefined): string[] {
  const sorted = sortNames(names);
  if (!shard) return sorted;
  return sorted.filter((_, position) => position % shard.count === shard.index - 1);
}
