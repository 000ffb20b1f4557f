/**
 * What `dslab inspect` prints, as a pure function of the trace and the options: the summary
 * (with the story when a property failed), the story alone, or the events that pass the
 * filters, human-readable or as raw JSON lines.
 */
import type { Trace } from "../trace/events.ts";
import { correlate } from "./correlate.ts";
import { eventLine } from "./describe-event.ts";
import { faultTimeline } from "./fault-timeline.ts";
import { type EventFilter, isEmptyFilter, selectEvents } from "./filter.ts";
import { judgeTrace } from "./judge.ts";
import { storyLines } from "./story.ts";
import { summaryLines } from "./summary.ts";

export interface InspectView {
  filter: EventFilter;
  /** List the matching events (implied by any filter or by json). */
  events: boolean;
  story: boolean;
  /** Events as raw JSON lines. */
  json: boolean;
}

export function renderInspect(trace: Trace, view: InspectView): string[] {
  const correlation = correlate(trace);
  const showEvents = view.events || view.json || !isEmptyFilter(view.filter);
  const lines: string[] = [];
  if (view.story || !showEvents) {
    const judgement = judgeTrace(trace);
    const story = () =>
      storyLines({ trace, checks: judgement.checks, correlation, faults: faultTimeline(trace) });
    if (view.story) lines.push(...story());
    else {
      lines.push(...summaryLines(trace, judgement));
      if (judgement.checks.some((check) => check.verdict === "fail")) lines.push("", ...story());
    }
  }
  if (showEvents) {
    const selected = selectEvents(trace, correlation, view.filter);
    if (view.json) return [...lines, ...selected.map((i) => JSON.stringify(trace.events[i]))];
    if (lines.length > 0) lines.push("");
    for (const i of selected) lines.push(eventLine(trace, correlation, i));
    lines.push(`(${selected.length} of ${trace.events.length} events)`);
  }
  return lines;
}
