import { readFile } from "node:fs/promises";
import {
  TRACE_FORMAT,
  TRACE_VERSION,
  type Trace,
  type TraceEvent,
  type TraceHeader,
} from "./events.ts";

export class TraceReadError extends Error {}

/**
 * Parses a trace file. A last line cut off mid-write (an interrupted run) is ignored; any
 * other bad line is an error naming the line. A newer format version is refused, not guessed.
 */
export function parseTrace(text: string, source = "trace"): Trace {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new TraceReadError(`${source} is empty: not a dslab trace`);
  let header: Partial<TraceHeader> | null;
  try {
    header = JSON.parse(lines[0] ?? "") as Partial<TraceHeader> | null;
  } catch {
    throw new TraceReadError(`${source} is not a dslab trace: its line 1 is not JSON`);
  }
  if (header?.type !== "header" || header.format !== TRACE_FORMAT) {
    throw new TraceReadError(
      `${source}: line 1 is not a dslab trace header (expected "format":"${TRACE_FORMAT}")`,
    );
  }
  if (header.version !== TRACE_VERSION) {
    throw new TraceReadError(
      `${source}: trace format version ${String(header.version)} is not supported by this dslab (it reads version ${TRACE_VERSION}); use the dslab version that wrote it`,
    );
  }
  const events: TraceEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const isLast = i === lines.length - 1;
    try {
      events.push(JSON.parse(raw) as TraceEvent);
    } catch (error) {
      if (isLast && !text.endsWith("\n")) break; // cut off by an interruption
      throw new TraceReadError(`${source}: line ${i + 1} is not valid JSON (${String(error)})`);
    }
  }
  return { header: header as TraceHeader, events };
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
