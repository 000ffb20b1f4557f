/** One monotonic time base per run: milliseconds since the run started. */
export type Clock = () => number;

export function startClock(): Clock {
  const origin = performance.now();
  return () => Math.round((performance.now() - origin) * 1000) / 1000;
}
