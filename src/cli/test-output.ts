/**
 * Where `dslab test` writes. Normally every line goes to stdout. With --json, stdout carries
 * only the run's summary as one JSON document at the end (so `dslab test ... --json | jq`
 * works), and the progress and result lines move to stderr, where a person still sees them.
 */
import type { TestSummary } from "../lab/run-lab.ts";

/** The part of a stream this needs (process.stdout, or a test's stand-in). */
export interface LineSink {
  write(text: string): unknown;
}

export interface TestOutput {
  /** A progress, result or closing line. */
  line: (text: string) => void;
  /** A warning, always on stderr. */
  warn: (text: string) => void;
  /** The run's end: the summary as JSON in --json mode, nothing otherwise. */
  summary: (summary: TestSummary) => void;
}

export function testOutput(
  json: boolean,
  stdout: LineSink = process.stdout,
  stderr: LineSink = process.stderr,
): TestOutput {
  const lines = json ? stderr : stdout;
  return {
    line: (text) => {
      lines.write(`${text}\n`);
    },
    warn: (text) => {
      stderr.write(`${text}\n`);
    },
    summary: (summary) => {
      if (json) stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    },
  };
}
