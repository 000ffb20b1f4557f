/**
 * What a user may point `dslab check` and `dslab inspect` at: a trace file, a scenario run's
 * directory (holding trace.jsonl) or a `dslab test` output directory (holding summary.json,
 * whose every scenario run is checked). An output directory may have been copied elsewhere
 * (a TA's machine), so its traces are looked for next to summary.json first.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { TraceReadError } from "../trace/reader.ts";

const TRACE_FILE = "trace.jsonl";
const SUMMARY_FILE = "summary.json";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The trace files `target` names, in run order; throws TraceReadError when it names none. */
export async function locateTraces(target: string): Promise<string[]> {
  const info = await stat(target).catch(() => undefined);
  if (!info)
    throw new TraceReadError(
      `${target} does not exist: give a trace.jsonl, a run directory or a dslab output directory`,
    );
  if (!info.isDirectory()) return [target];
  const direct = join(target, TRACE_FILE);
  if (await exists(direct)) return [direct];
  const summaryPath = join(target, SUMMARY_FILE);
  if (!(await exists(summaryPath))) {
    throw new TraceReadError(
      `${target} holds neither ${TRACE_FILE} nor ${SUMMARY_FILE}: give a trace file, a scenario run's directory or a dslab test output directory`,
    );
  }
  let results: Array<{ tracePath?: unknown }>;
  try {
    const summary = JSON.parse(await readFile(summaryPath, "utf8")) as { results?: unknown };
    if (!Array.isArray(summary.results)) throw new Error("it has no results list");
    results = summary.results as Array<{ tracePath?: unknown }>;
  } catch (error) {
    throw new TraceReadError(`${summaryPath} is not a dslab summary: ${(error as Error).message}`);
  }
  const paths = await Promise.all(
    results
      .map((result) => result.tracePath)
      // "" is a passing run whose folder was not kept (dslab test --seeds without --keep-all).
      .filter((path): path is string => typeof path === "string" && path !== "")
      .map(async (recorded) => {
        const beside = join(target, basename(dirname(recorded)), TRACE_FILE);
        if (await exists(beside)) return beside;
        return (await exists(resolve(recorded))) ? recorded : beside;
      }),
  );
  if (paths.length === 0) {
    throw new TraceReadError(
      `${summaryPath} lists no finished scenario run: there is nothing to check`,
    );
  }
  return paths;
}
