/**
 * Where liveness after the faults is judged from: the final heal (the last nemesis.heal);
 * without one, the end of the last fault, or the start of a run without faults.
 */
import type { Trace } from "../trace/events.ts";
import { faultSpans } from "./fault-spans.ts";

export interface JudgedFrom {
  t: number;
  /** The nemesis.heal event, when there is one. */
  event: number | undefined;
  what: string;
}

/** Where judging starts, or why it cannot (a fault that never ended). */
export function finalHeal(trace: Trace): JudgedFrom | string {
  const healAt = trace.events.findLastIndex((e) => e.type === "nemesis.heal");
  const heal = trace.events[healAt];
  if (heal) return { t: heal.t, event: healAt, what: "the final heal" };
  const spans = faultSpans(trace).filter((s) => s.fault.kind !== "stable");
  const unhealed = spans.find((s) => s.to === undefined);
  if (unhealed)
    return `fault ${unhealed.id} (${unhealed.fault.kind}) never ended and the trace has no final heal (nemesis.heal)`;
  const last = spans.reduce<number | undefined>((t, s) => Math.max(t ?? 0, s.to ?? 0), undefined);
  return last === undefined
    ? { t: 0, event: undefined, what: "the start (no faults)" }
    : { t: last, event: undefined, what: "the end of the last fault" };
}
