import { readFile } from "node:fs/promises";
import { TraceDigest } from "./digest.ts";
import {
  type EndEvent,
  EVENT_TYPES,
  TRACE_FORMAT,
  TRACE_VERSION,
  type Trace,
  type TraceEvent,
  type TraceHeader,
} from "./events.ts";
import { eventProblem, headerProblem } from "./schema.ts";

export class TraceReadError extends Error {}

/**
 * Parses a trace file, every line checked against docs/trace.schema.json. A last line cut off
 * mid-write (an interrupted run) is ignored, and so are events of a type this version does
 * not define (a newer dslab's); any other bad line is an error naming the file, the line and
 * what is wrong. A newer format version is refused, not guessed. A trace is whole as written
 * or refused: any line after the `end` event is an error, and so is an `end` whose digest
 * does not match the lines before it (required when the header announces one).
 */
export function parseTrace(text: string, source = "trace"): Trace {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new TraceReadError(`${source} is empty: not a dslab trace`);
  const header = parseHeader(lines[0] ?? "", source);
  const digest = new TraceDigest();
  digest.addLine(lines[0] ?? "");
  const events: TraceEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const previous = events.at(-1);
    if (previous?.type === "end") {
      throw new TraceReadError(
        `${source}:${i + 1}: a line after the "end" event of line ${i}: dslab writes nothing after it, so the trace was edited or joined to another`,
      );
    }
    let event: unknown;
    try {
      event = JSON.parse(lines[i] ?? "");
    } catch (error) {
      const isLast = i === lines.length - 1;
      if (isLast && !text.endsWith("\n")) break; // cut off by an interruption
      throw new TraceReadError(`${source}:${i + 1}: not valid JSON (${String(error)})`);
    }
    const problem = eventProblem(event);
    if (problem) throw new TraceReadError(`${source}:${i + 1}: ${problem}`);
    if (!EVENT_TYPES.has((event as TraceEvent).type)) {
      digest.addLine(lines[i] ?? "");
      continue;
    }
    const known = event as TraceEvent;
    if (known.type === "end") {
      const mismatch = digestProblem(header, known, digest.hex());
      if (mismatch) throw new TraceReadError(`${source}:${i + 1}: ${mismatch}`);
    } else {
      digest.addLine(lines[i] ?? "");
    }
    events.push(known);
  }
  return { header, events };
}

/**
 * Why an `end` event's digest shows the trace is not as dslab wrote it; undefined when it
 * matches, or when neither the header nor the end carries one (a trace of an earlier dslab).
 */
function digestProblem(header: TraceHeader, end: EndEvent, actual: string): string | undefined {
  if (end.digest === undefined) {
    if (header.digest === undefined) return undefined;
    return `the "end" event has no "digest" though the header announces one: the trace was edited after dslab wrote it`;
  }
  if (end.digest === actual) return undefined;
  return `the "end" event's digest does not match the lines before it: the trace was damaged or edited after dslab wrote it (a line deleted, changed or added)`;
}

function parseHeader(line: string, source: string): TraceHeader {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    throw new TraceReadError(`${source} is not a dslab trace: its line 1 is not JSON`);
  }
  const { type, format, version } = (header ?? {}) as Partial<TraceHeader>;
  if (type !== "header" || format !== TRACE_FORMAT) {
    throw new TraceReadError(
      `${source}: line 1 is not a dslab trace header (expected "format":"${TRACE_FORMAT}")`,
    );
  }
  if (version !== TRACE_VERSION) {
    throw new TraceReadError(
      `${source}: trace format version ${String(version)} is not supported by this dslab (it reads version ${TRACE_VERSION}); use the dslab version that wrote it`,
    );
  }
  const problem = headerProblem(header);
  if (problem) throw new TraceReadError(`${source}:1: ${problem}`);
  return header as TraceHeader;
}

export async function readTrace(path: string): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new TraceReadError(`cannot read trace ${path}: ${(error as Error).message}`);
  }
  return parseTrace(text, path);
}
