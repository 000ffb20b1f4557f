/** The `dslab shrink` command: reads a failing trace, prints the smallest failing schedule. */
import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { wholeNumber } from "../cli/parse-number.ts";
import { abortOnSignals } from "../grade/commands.ts";
import { MAX_REPEAT_RUNS } from "../lab/definition.ts";
import type { Trace } from "../trace/events.ts";
import { readTrace, TraceReadError } from "../trace/reader.ts";
import { shrinkTrace } from "./shrink.ts";

export function registerShrinkCommand(
  program: Command,
  done: (outcome: "passed" | "failed" | "interrupted" | "usage") => void,
): void {
  program
    .command("shrink")
    .description(
      "re-run a failing scenario with smaller fault schedules; print the smallest that still fails and the command that replays it",
    )
    .argument("<trace>", "trace.jsonl of a failing run")
    .option(
      "--max-runs <n>",
      "at most this many re-runs",
      wholeNumber(1, MAX_REPEAT_RUNS, "a number of re-runs"),
      30,
    )
    .option("--out <dir>", "where the attempts and schedule.json go (default beside the trace)")
    .action(async (tracePath: string, opts: { maxRuns: number; out?: string }) => {
      const trace = await readTraceArgument(tracePath);
      if (!trace) return done("usage");
      const controller = new AbortController();
      abortOnSignals(controller);
      const outcome = await shrinkTrace({
        trace,
        outDir: opts.out ?? tracePath.replace(/trace\.jsonl$/, "").concat("shrink"),
        maxRuns: opts.maxRuns,
        command: process.env.DSLAB_COMMAND ?? "bin/dslab",
        signal: controller.signal,
        log: (line) => console.log(line),
      });
      console.log(
        `${outcome.properties.join(", ")} still fail${outcome.properties.length === 1 ? "s" : ""} with ${outcome.after} of ${outcome.before} faults (${outcome.runs} runs${outcome.complete ? "" : "; the run budget ran out, a smaller one may exist"})`,
      );
      if (outcome.witness)
        console.log(`trace of the small failing run: ${outcome.witness.tracePath}`);
      console.log(`schedule: ${outcome.scheduleFile}`);
      console.log(`reproduce: ${outcome.reproduce}`);
      done(controller.signal.aborted ? "interrupted" : "failed");
    });
}

/** The trace to shrink, or undefined after saying why it cannot be (the user's input: exit 2). */
async function readTraceArgument(path: string): Promise<Trace | undefined> {
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    console.error(`dslab: ${path} is a directory: pass the trace.jsonl of a failing run`);
    return undefined;
  }
  try {
    return await readTrace(path);
  } catch (error) {
    if (!(error instanceof TraceReadError)) throw error;
    console.error(`dslab: ${error.message}`);
    return undefined;
  }
}
