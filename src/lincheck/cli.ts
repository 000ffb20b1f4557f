/**
 * `dslab lincheck <file> --model kv|etcd`: the linearizability search on a history from another
 * tool (Jepsen, Porcupine's test data), for TAs and for checking the checker. Exit 0
 * linearizable, 1 not, 2 unreadable, 3 unknown (a bound was hit).
 */
import { readFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { DEFAULT_LIMITS } from "../check/linearizability/check-history.ts";
import { wholeNumber } from "../cli/parse-number.ts";
import { HistoryFormatError } from "./history-events.ts";
import { HISTORY_MODELS, type LincheckReport } from "./history-models.ts";

export const LINCHECK_EXIT = {
  linearizable: 0,
  "not-linearizable": 1,
  unreadable: 2,
  unknown: 3,
} as const;

interface LincheckOptions {
  model: string;
  timeout: number;
  maxSteps: number;
  allParts: boolean;
  json: boolean;
}

export function registerLincheckCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("lincheck")
    .description(
      "check a recorded history for linearizability (exit 0 linearizable, 1 not, 2 unreadable, 3 unknown)",
    )
    .argument("<file>", "the history")
    .addOption(
      new Option("--model <model>", "the history's format and model")
        .choices(Object.keys(HISTORY_MODELS))
        .makeOptionMandatory(),
    )
    .option(
      "--timeout <seconds>",
      "give up (unknown) after this long",
      wholeNumber(1, 86_400, "a timeout in seconds"),
      DEFAULT_LIMITS.timeoutMs / 1000,
    )
    .option(
      "--max-steps <n>",
      "give a part up (unknown) after this many model steps",
      wholeNumber(1, 2 ** 40, "a number of steps"),
      DEFAULT_LIMITS.maxStepsPerPart,
    )
    .option("--all-parts", "search every part, also after a violation", false)
    .option("--json", "print the report as JSON", false)
    .addHelpText(
      "after",
      `\nModels:\n${Object.entries(HISTORY_MODELS)
        .map(([name, entry]) => `  ${name.padEnd(6)} ${entry.what}`)
        .join("\n")}`,
    )
    .action(async (file: string, opts: LincheckOptions) => {
      setExit(await lincheck(file, opts));
    });
}

async function lincheck(file: string, opts: LincheckOptions): Promise<number> {
  const checker = HISTORY_MODELS[opts.model];
  if (!checker) throw new Error(`unknown model ${opts.model}`); // commander's choices prevent it
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    console.error(`dslab lincheck: cannot read ${file}: ${(error as Error).message}`);
    return LINCHECK_EXIT.unreadable;
  }
  let report: LincheckReport;
  try {
    report = checker.parse(file, text).check({
      timeoutMs: opts.timeout * 1000,
      maxStepsPerPart: opts.maxSteps,
      allParts: opts.allParts,
    });
  } catch (error) {
    if (!(error instanceof HistoryFormatError)) throw error;
    console.error(`dslab lincheck: ${error.message} (is --model ${opts.model} right?)`);
    return LINCHECK_EXIT.unreadable;
  }
  console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(file, opts.model, report));
  return LINCHECK_EXIT[report.verdict];
}

const at = (op: { line: number; text: string; returnLine?: number }) =>
  `line ${op.line}${op.returnLine === undefined ? " (never returned)" : `-${op.returnLine}`}: ${op.text}`;

export function formatReport(file: string, model: string, report: LincheckReport): string {
  const verdict = {
    linearizable: "LINEARIZABLE",
    "not-linearizable": "NOT LINEARIZABLE",
    unknown: "UNKNOWN",
  }[report.verdict];
  const lines = [
    `${file}: ${verdict} (${model} model; ${report.operations} operations in ${report.parts} part${report.parts === 1 ? "" : "s"}, ${report.searchedParts} searched; ${report.steps.toLocaleString("en")} steps, ${report.ms.toFixed(1)} ms)`,
  ];
  const v = report.violation;
  if (v) {
    lines.push(
      `  ${v.part} (${v.partOperations} operations): no order explains these ${v.smallest.length} results together, whatever the other operations returned:`,
      ...v.smallest.map((op) => `    ${at(op)}`),
      `  The longest order found placed ${v.placed} operations, leaving the state ${v.state}; next, ${at(v.blocked)} could not be placed.`,
    );
  }
  for (const u of report.unknown) {
    lines.push(
      `  ${u.part} (${u.partOperations} operations): undecided, the ${u.bound === "time" ? "--timeout" : "--max-steps"} bound was hit (never a pass).`,
    );
  }
  if (report.verdict === "unknown" && report.unknown.length === 0) {
    lines.push("  Parts after the first undecided one were not searched.");
  }
  return lines.join("\n");
}
