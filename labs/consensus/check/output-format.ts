/**
 * output-format: every decide line follows the stdout contract ("slot" a JSON integer,
 * "value" standard padded base64). Malformed lines are kept out of the other checkers, so
 * this is where they fail, each line shown as printed.
 */

import type { CheckResult } from "../../../src/check/types.ts";
import type { Trace } from "../../../src/trace/events.ts";
import { consensusHistory } from "./history.ts";
import { count, result } from "./report.ts";

export const OUTPUT_FORMAT = "output-format";
const LINE_CHARS = 200;

export function checkOutputFormat(trace: Trace): CheckResult {
  const { malformed, lines } = consensusHistory(trace);
  if (malformed.length === 0) {
    return result(
      OUTPUT_FORMAT,
      "pass",
      `All ${count(lines.length, "decide line")} have an integer slot and a padded base64 value.`,
    );
  }
  return result(
    OUTPUT_FORMAT,
    "fail",
    `Malformed decide lines: ${malformed.length} (each needs a JSON integer "slot" and a padded base64 "value").`,
    malformed.map((m) => {
      const e = trace.events[m.event];
      const printed = e?.type === "node.event" ? JSON.stringify(e.event).slice(0, LINE_CHARS) : "";
      return { message: `${m.node} printed ${printed}: ${m.reason}.`, events: [m.event] };
    }),
  );
}
