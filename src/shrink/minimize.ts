/**
 * Delta debugging (Zeller's ddmin) over a fault schedule: finds a smaller schedule that still
 * fails, by trying to drop chunks of faults, then single faults. The predicate re-runs the
 * scenario, so the number of runs is bounded; the result is the smallest failing schedule
 * found when the budget runs out (the original if nothing smaller failed).
 */
export interface MinimizeOptions<T> {
  /** true when the scenario still fails with only these faults. */
  stillFails: (subset: T[]) => Promise<boolean>;
  /** At most this many runs of the predicate. */
  maxRuns: number;
  onStep?: (step: { tried: number; size: number; failed: boolean }) => void;
}

export interface MinimizeResult<T> {
  minimal: T[];
  runs: number;
  /** true when every single fault left was tried away (1-minimal), false if the budget ran out. */
  complete: boolean;
}

export async function minimizeFailing<T>(
  items: readonly T[],
  options: MinimizeOptions<T>,
): Promise<MinimizeResult<T>> {
  let current = [...items];
  let granularity = 2;
  let runs = 0;
  const attempt = async (subset: T[]): Promise<boolean> => {
    runs++;
    const failed = await options.stillFails(subset);
    options.onStep?.({ tried: runs, size: subset.length, failed });
    return failed;
  };
  // The empty schedule first: a failure with no faults at all is the smallest story.
  if (current.length > 0 && runs < options.maxRuns && (await attempt([]))) {
    return { minimal: [], runs, complete: true };
  }
  while (current.length >= 2 && runs < options.maxRuns) {
    const chunks = split(current, granularity);
    let reduced = false;
    for (const chunk of chunks) {
      if (runs >= options.maxRuns) break;
      if (await attempt(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      for (const [index] of chunks.entries()) {
        if (runs >= options.maxRuns) break;
        const complement = chunks.filter((_, i) => i !== index).flat();
        if (await attempt(complement)) {
          current = complement;
          granularity = Math.max(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (granularity >= current.length) return { minimal: current, runs, complete: true };
      granularity = Math.min(current.length, granularity * 2);
    }
  }
  return { minimal: current, runs, complete: current.length < 2 };
}

function split<T>(items: T[], parts: number): T[][] {
  const chunks: T[][] = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
