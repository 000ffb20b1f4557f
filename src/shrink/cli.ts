/** The `dslab shrink` command: reads a failing trace, prints the smallest failing schedule. */
import type { Command } from "commander";
import { abortOnSignals } from "../grade/commands.ts";
import { readTrace } from "../trace/reader.ts";
import { shrinkTrace } from "./shrink.ts";

export function registerShrinkCommand(
  program: Command,
  done: (outcome: "passed" | "failed" | "interrupted") => void,
  parsePositive: (value: string) => number,
): void {
  program
    .command("shrink")
    .description(
      "re-run a failing scenario with smaller fault schedules; print the smallest that still fails and the command that replays it",
    )
    .argument("<trace>", "trace.jsonl of a failing run")
    .option("--max-runs <n>", "at most this many re-runs", (v) => Math.round(parsePositive(v)), 30)
    .option("--out <dir>", "where the attempts and schedule.json go (default beside the trace)")
    .action(async (tracePath: string, opts: { maxRuns: number; out?: string }) => {
      const trace = await readTrace(tracePath);
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
