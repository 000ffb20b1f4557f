/** A run's trace in memory, with subscribers as run-scenario offers them, on its own clock. */
import type { TraceEvent } from "../../src/trace/events.ts";

export function observedTrace() {
  const events: TraceEvent[] = [];
  const listeners = new Set<(event: TraceEvent) => void>();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const emit = (event: TraceEvent) => {
    events.push(event);
    for (const listener of listeners) listener(event);
  };
  const observe = (listener: (event: TraceEvent) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { events, listeners, now, emit, observe };
}
