/**
 * `dslab check` and `dslab inspect`: read traces, print what src/inspect renders. Exit
 * outcomes: "passed" every trace passed; "failed" one failed or could not be decided; "usage"
 * a trace could not be read (missing, not a dslab trace, a newer format).
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { filterOptions } from "../lab/registry.ts";
import { htmlPathFor, writeTraceHtml } from "../report/html/index.ts";
import type { Trace } from "../trace/events.ts";
import { readTrace, TraceReadError } from "../trace/reader.ts";
import { aboutProblem, type EventFilter } from "./filter.ts";
import { formatJudgement, judgeTrace, type TraceJudgement } from "./judge.ts";
import { locateTraces } from "./locate.ts";
import { renderInspect } from "./render.ts";

export type TraceCommandOutcome = "passed" | "failed" | "usage";

interface Checked {
  path: string;
  trace?: Trace;
  judgement?: TraceJudgement;
  error?: string;
}

async function checkOne(path: string): Promise<Checked> {
  try {
    const trace = await readTrace(path);
    return { path, trace, judgement: judgeTrace(trace) };
  } catch (error) {
    if (error instanceof TraceReadError) return { path, error: error.message };
    throw error;
  }
}

async function checkCommand(targets: string[], json: boolean): Promise<TraceCommandOutcome> {
  const checked: Checked[] = [];
  for (const target of targets) {
    let paths: string[];
    try {
      paths = await locateTraces(target);
    } catch (error) {
      if (!(error instanceof TraceReadError)) throw error;
      checked.push({ path: target, error: error.message });
      continue;
    }
    for (const path of paths) checked.push(await checkOne(path));
  }
  if (json) {
    const report = checked.map(({ path, trace, judgement, error }) =>
      error || !trace || !judgement
        ? { trace: path, error }
        : {
            trace: path,
            lab: trace.header.lab,
            scenario: trace.header.scenario,
            seed: trace.header.seed,
            reproduce: trace.header.reproduce,
            ...judgement,
          },
    );
    console.log(JSON.stringify(report, null, 2));
  } else {
    for (const { path, trace, judgement, error } of checked) {
      if (trace && judgement) console.log(formatJudgement(trace, judgement, path).join("\n"));
      else console.error(`dslab: ${error}`);
    }
    if (checked.length > 1) console.log(tally(checked));
  }
  if (checked.some((c) => c.error)) return "usage";
  return checked.every((c) => c.judgement?.verdict === "pass") ? "passed" : "failed";
}

function tally(checked: Checked[]): string {
  const count = (verdict: string) => checked.filter((c) => c.judgement?.verdict === verdict).length;
  const parts = [`${count("pass")} passed`, `${count("fail")} failed`];
  if (count("unknown") > 0) parts.push(`${count("unknown")} unknown`);
  if (count("error") > 0) parts.push(`${count("error")} with harness errors`);
  const unreadable = checked.filter((c) => c.error).length;
  if (unreadable > 0) parts.push(`${unreadable} unreadable`);
  return `${checked.length} traces checked: ${parts.join(", ")}`;
}

interface InspectOptions extends EventFilter {
  events: boolean;
  story: boolean;
  json: boolean;
  /** --html [file]: also write the trace's HTML view (true: beside the trace). */
  html?: string | true;
}

async function inspectCommand(target: string, opts: InspectOptions): Promise<TraceCommandOutcome> {
  const { events, story, json, html, ...filter } = opts;
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.fromMs > filter.toMs) {
    console.error(`dslab: --from ${filter.fromMs} is after --to ${filter.toMs}: nothing can match`);
    return "usage";
  }
  try {
    const paths = await locateTraces(target);
    if (paths.length > 1) {
      console.error(`dslab: ${target} holds ${paths.length} traces; inspect one of them:`);
      for (const path of paths) console.error(`  ${path}`);
      return "usage";
    }
    const out = html === true ? htmlPathFor(paths[0] as string) : html;
    const htmlProblem = out === undefined ? undefined : await unwritableHtmlPath(out);
    if (htmlProblem) {
      console.error(`dslab: ${htmlProblem}`);
      return "usage";
    }
    const trace = await readTrace(paths[0] as string);
    const notForThisLab = filter.about && aboutProblem(trace, filter.about);
    if (notForThisLab) {
      console.error(`dslab: ${notForThisLab}`);
      return "usage";
    }
    for (const line of renderInspect(trace, { filter, events, story, json })) console.log(line);
    if (out) {
      await writeTraceHtml(trace, judgeTrace(trace).checks, out);
      console.error(`HTML view: ${out}`);
    }
    return "passed";
  } catch (error) {
    if (!(error instanceof TraceReadError)) throw error;
    console.error(`dslab: ${error.message}`);
    return "usage";
  }
}

/** Why the HTML view cannot be written at `out` (checked before the trace is read), if so. */
async function unwritableHtmlPath(out: string): Promise<string | undefined> {
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) {
    return `--html ${out} is a directory: give a file to write, e.g. ${join(out, "trace.html")}`;
  }
  const folder = dirname(resolve(out));
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) {
    return `--html ${out}: the folder ${folder} does not exist; create it or choose another file`;
  }
  try {
    await access(existing ? out : folder, constants.W_OK);
  } catch {
    return `--html ${out}: ${existing ? "the file" : `the folder ${folder}`} is not writable`;
  }
  return undefined;
}

function parseWhole(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new InvalidArgumentError("must be a whole number >= 0");
  }
  return number;
}

function parseMs(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) {
    throw new InvalidArgumentError("must be a time in ms since the run started");
  }
  return number;
}

const parseList = (value: string): string[] =>
  value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");

/** Adds `check` and `inspect` to the dslab program; `done` receives each command's outcome. */
export function registerTraceCommands(
  program: Command,
  done: (outcome: TraceCommandOutcome) => void,
): void {
  program
    .command("check")
    .description(
      "re-run a lab's checkers on recorded traces, without running anything (exit 0 pass, 1 fail or unknown, 2 unreadable)",
    )
    .argument(
      "<traces...>",
      "trace.jsonl files, scenario run directories, or dslab test output directories (every trace in summary.json)",
    )
    .option("--json", "the verdicts and evidence as JSON", false)
    .action(async (targets: string[], opts: { json: boolean }) => {
      done(await checkCommand(targets, opts.json));
    });
  const inspect = program
    .command("inspect")
    .description(
      "read a trace: a summary and the story of each violation, or the events that match the filters",
    )
    .argument("<trace>", "a trace.jsonl or a scenario run directory")
    .option("--node <id>", "only events about this node (its lifecycle, faults and traffic)")
    .option("--client <id>", "only events about this client (its ops, connections and links)")
    .option("--op <n>", "only this op: its invoke, transmissions, replies and end", parseWhole)
    .option("--from <ms>", "only events at or after this time (ms since the start)", parseMs)
    .option("--to <ms>", "only events at or before this time (ms since the start)", parseMs)
    .option(
      "--type <types>",
      "only these event types, comma-separated (e.g. rpc.send,op.ok)",
      parseList,
    )
    .option("--events", "list the matching events, one per line (implied by any filter)", false)
    .option("--story", "only the story of each violation", false)
    .option("--json", "matching events as raw JSON lines", false)
    .option("--html [file]", "also write the HTML view of the trace (default: beside it, .html)")
    .action(
      async (
        target: string,
        opts: Omit<InspectOptions, "fromMs" | "toMs" | "types" | "about"> & {
          from?: number;
          to?: number;
          type?: string[];
        } & Record<string, unknown>,
      ) => {
        const { from, to, type, ...rest } = opts;
        const about: Record<string, string> = {};
        for (const { option } of labOptions) {
          const value = rest[option];
          delete rest[option];
          if (typeof value === "string") about[option] = value;
        }
        done(
          await inspectCommand(target, {
            ...rest,
            ...(Object.keys(about).length > 0 ? { about } : {}),
            ...(from !== undefined ? { fromMs: from } : {}),
            ...(to !== undefined ? { toMs: to } : {}),
            ...(type !== undefined ? { types: type } : {}),
          }),
        );
      },
    );
  // Each lab's filters (lab 1's --key, lab 2's --slot), named by the labs themselves.
  const labOptions = filterOptions();
  const own = new Set(inspect.options.map((option) => option.attributeName()));
  for (const { option, help } of labOptions) {
    if (own.has(option) || !/^[a-z]+$/.test(option))
      throw new Error(
        `a lab's inspect filter --${option} clashes with inspect's own or is not a lowercase word`,
      );
    inspect.option(`--${option} <value>`, help);
  }
}
