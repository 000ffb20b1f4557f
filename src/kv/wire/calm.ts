/**
 * When the network and the node were calm: no nemesis fault active, the node ready and not
 * paused. Rules that hold only on a clean network (progress, answering every call) use it.
 */
import type { Trace } from "../../trace/events.ts";

export type Span = [number, number];

/** When faults were active or the node was not ready (before its first ready, killed,
 * exited or paused until the next ready / resume). */
export function disturbedSpans(trace: Trace): Span[] {
  const spans: Span[] = [];
  const faults = new Map<number, number>();
  let downSince: number | undefined = 0;
  let pausedSince: number | undefined;
  for (const e of trace.events) {
    if (e.type === "nemesis.start") faults.set(e.id, e.t);
    else if (e.type === "nemesis.stop") {
      const from = faults.get(e.id);
      if (from !== undefined) spans.push([from, e.t]);
      faults.delete(e.id);
    } else if (e.type === "node.ready") {
      if (downSince !== undefined) spans.push([downSince, e.t]);
      downSince = undefined;
    } else if (e.type === "node.kill" || e.type === "node.exit" || e.type === "node.failed") {
      downSince ??= e.t;
    } else if (e.type === "node.pause") pausedSince ??= e.t;
    else if (e.type === "node.resume" && pausedSince !== undefined) {
      spans.push([pausedSince, e.t]);
      pausedSince = undefined;
    }
  }
  const open = [...faults.values(), downSince, pausedSince].filter((t) => t !== undefined);
  for (const from of open) spans.push([from, Number.POSITIVE_INFINITY]);
  return spans;
}

export const overlaps = (a: Span, b: Span): boolean => a[0] <= b[1] && b[0] <= a[1];
