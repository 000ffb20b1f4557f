/**
 * The HTML view of a trace (docs/trace-viewer.md): one self-contained file a TA or a student
 * opens offline, with the verdicts, the evidence and the run drawn as a space-time diagram.
 */
import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { CheckResult } from "../../check/types.ts";
import type { Trace } from "../../trace/events.ts";
import { buildViewModel } from "./model.ts";
import { renderTraceHtml } from "./page.ts";

export { buildViewModel } from "./model.ts";

export function traceHtml(trace: Trace, checks: CheckResult[]): Promise<string> {
  return renderTraceHtml(buildViewModel(trace, checks));
}

/** Writes the view of `trace` and its check results to `path` (usually beside trace.jsonl). */
export async function writeTraceHtml(
  trace: Trace,
  checks: CheckResult[],
  path: string,
): Promise<void> {
  await writeFile(path, await traceHtml(trace, checks));
}

/** Where `dslab inspect --html` writes by default: beside the trace, "x.jsonl" -> "x.html". */
export function htmlPathFor(tracePath: string): string {
  return join(dirname(tracePath), `${basename(tracePath, ".jsonl")}.html`);
}
