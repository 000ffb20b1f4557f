/** The faults as they ran: each nemesis.start paired with its nemesis.stop, if any. */
import type { Fault, Trace } from "../trace/events.ts";

export interface FaultSpan {
  id: number;
  fault: Fault;
  startEvent: number;
  from: number;
  /** Undefined when the trace has no stop for it (it lasted to the end, or the run was cut). */
  to: number | undefined;
}

export function faultSpans(trace: Trace): FaultSpan[] {
  const spans: FaultSpan[] = [];
  const open = new Map<number, FaultSpan>();
  trace.events.forEach((e, index) => {
    if (e.type === "nemesis.start") {
      const span: FaultSpan = {
        id: e.id,
        fault: e.fault,
        startEvent: index,
        from: e.t,
        to: undefined,
      };
      spans.push(span);
      open.set(e.id, span);
    } else if (e.type === "nemesis.stop") {
      const span = open.get(e.id);
      if (span) span.to = e.t;
      open.delete(e.id);
    }
  });
  return spans;
}
