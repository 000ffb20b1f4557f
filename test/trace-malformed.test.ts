/**
 * Malformed traces (a null line, a header without a field, "lab": "__proto__", a string `t`...)
 * are refused by the reader `dslab check`, `dslab inspect` and `dslab inspect --html` share, and
 * by each command (one per case, in turn) with exit 2 and the file, line and reason; never a
 * TypeError (exit 3). Every line is checked against docs/trace.schema.json, which lists
 * exactly the event types events.ts defines.
 */
import { readFileSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../src/trace/events.ts";
import { parseTrace, TraceReadError } from "../src/trace/reader.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const REFERENCE = "fixtures/traces/rpc-cpp-reference-crash-after-ack.jsonl";
const HEADER_FIELDS = [
  "lab",
  "scenario",
  "seed",
  "startedAt",
  "harness",
  "submission",
  "runtime",
  "timeScale",
  "nodes",
  "schedule",
  "reproduce",
  "params",
];

const tempDir = useTempDirs();
let dir: string;
let header: Record<string, unknown>;
let events: string[];

beforeAll(async () => {
  dir = await tempDir("dslab-malformed-");
  const [first, ...rest] = (await readFile(REFERENCE, "utf8")).trimEnd().split("\n");
  header = JSON.parse(first as string);
  events = rest;
});

const dslab = (...args: string[]) =>
  execa(process.execPath, ["--disable-warning=ExperimentalWarning", "src/cli/main.ts", ...args], {
    reject: false,
    timeout: 60_000,
  });

/** The reference trace with its header replaced and `line` put in as line `at` (1-based). */
function traceWith(headerLine: string, line?: string, at = 5): string {
  const lines = [headerLine, ...events];
  if (line !== undefined) lines.splice(at - 1, 0, line);
  return `${lines.join("\n")}\n`;
}

const withoutField = (field: string) => {
  const { [field]: _dropped, ...rest } = header;
  return JSON.stringify(rest);
};

/** Each malformed trace: its text, then the line and reason the error must name. */
const CASES: Array<[string, () => string, RegExp]> = [
  [
    "a null event",
    () => traceWith(JSON.stringify(header), "null"),
    /:5: event must be a JSON object \(it is null\)/,
  ],
  [
    "an array line",
    () => traceWith(JSON.stringify(header), "[1,2]"),
    /:5: event must be a JSON object/,
  ],
  [
    "a number line",
    () => traceWith(JSON.stringify(header), "42"),
    /:5: event must be a JSON object/,
  ],
  [
    '"lab": "__proto__"',
    () => traceWith(JSON.stringify({ ...header, lab: "__proto__" })),
    /:1: header "lab" is "__proto__", not a lab this dslab has \(consensus, counter, kvr, rpc\)/,
  ],
  [
    '"lab": "constructor"',
    () => traceWith(JSON.stringify({ ...header, lab: "constructor" })),
    /:1: header "lab" is "constructor", not a lab/,
  ],
  [
    '"lab": "toString"',
    () => traceWith(JSON.stringify({ ...header, lab: "toString" })),
    /:1: header "lab" is "toString", not a lab/,
  ],
  [
    "t as a string",
    () =>
      traceWith(
        JSON.stringify(header),
        '{"type":"node.ready","t":"1","node":"n1","incarnation":1}',
      ),
    /:5: event "t" must be a number \(it is the string "1"\)/,
  ],
  [
    "an event without a type",
    () => traceWith(JSON.stringify(header), '{"t":1,"node":"n1"}'),
    /:5: event is missing "type"/,
  ],
  [
    "an op.invoke without its call",
    () => traceWith(JSON.stringify(header), '{"type":"op.invoke","t":1,"op":99,"client":"c1"}'),
    /:5: "op.invoke" event is missing "call"/,
  ],
  [
    "a nemesis.start without its fault",
    () => traceWith(JSON.stringify(header), '{"type":"nemesis.start","t":1,"id":0}'),
    /:5: "nemesis.start" event is missing "fault"/,
  ],
  [
    "a call to a prototype key",
    () =>
      traceWith(
        JSON.stringify(header),
        '{"type":"op.invoke","t":1,"op":99,"client":"c1","call":{"proc":"__proto__"}}',
      ),
    /:5: "op.invoke" event "call.proc" must match pattern .*\(it is the string "__proto__"\)/,
  ],
  [
    "a timeScale that is markup",
    () => traceWith(JSON.stringify({ ...header, timeScale: "<img src=x onerror=alert(1)>" })),
    /:1: header "timeScale" must be a number \(it is the string "<img/,
  ],
  [
    "a line that is not JSON in the middle",
    () => traceWith(JSON.stringify(header), '{"type":"node.ready",'),
    /:5: not valid JSON/,
  ],
  ...HEADER_FIELDS.map((field): [string, () => string, RegExp] => [
    `a header without "${field}"`,
    () => traceWith(withoutField(field)),
    new RegExp(`:1: header is missing "${field}"`),
  ]),
];

/** The three commands that read a trace, each run on every third case (a process each). */
const READERS = [
  (file: string) => dslab("check", file),
  (file: string) => dslab("inspect", file),
  (file: string) => dslab("inspect", file, "--html", join(dir, "out.html")),
];

describe("malformed traces are unreadable input (exit 2), with the line and the reason", () => {
  it.each(CASES.map((entry, index) => [...entry, index] as const))(
    "%s",
    async (name, text, reason, index) => {
      const file = join(dir, `${name.replace(/\W+/g, "-")}.jsonl`);
      await writeFile(file, text());
      // The reader all three commands share refuses it, naming the file, line and reason...
      expect(() => parseTrace(text(), file)).toThrow(TraceReadError);
      expect(() => parseTrace(text(), file)).toThrow(reason);
      // ...and a command says so and exits 2, never with a TypeError.
      const run = await (READERS[index % READERS.length] as (typeof READERS)[number])(file);
      expect(run.exitCode, `${run.command}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`dslab: ${file}:`);
      expect(run.stderr).toMatch(reason);
      expect(run.stderr).not.toMatch(/TypeError|internal error|\n\s+at /);
    },
  );

  it("an empty file", async () => {
    const file = join(dir, "empty.jsonl");
    await writeFile(file, "");
    for (const run of await Promise.all([
      dslab("check", file),
      dslab("inspect", file),
      dslab("inspect", file, "--html", join(dir, "out.html")),
    ])) {
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toBe(`dslab: ${file} is empty: not a dslab trace`);
    }
  });
});

describe("what stays readable", () => {
  it("a trace cut off mid-line at the end (an interrupted run): checked, never a pass", async () => {
    const file = join(dir, "cut.jsonl");
    const text = traceWith(JSON.stringify(header));
    await writeFile(file, text.slice(0, text.length - 15));
    const run = await dslab("check", file);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("incomplete: the trace has no end event");
  });

  it("an event of a type this version does not define is skipped, as a newer dslab may add one", () => {
    const text = traceWith(JSON.stringify(header), '{"type":"node.future","t":1,"what":{}}');
    const trace = parseTrace(text, "future.jsonl");
    expect(trace.events).toHaveLength(events.length);
    expect(trace.events.map((e) => e.type)).not.toContain("node.future");
  });

  it("every recorded fixture trace matches the schema", async () => {
    const files = (await readdir("fixtures/traces")).filter((name) => name.endsWith(".jsonl"));
    expect(files.length).toBeGreaterThan(10);
    for (const name of files) {
      const path = `fixtures/traces/${name}`;
      expect(() => parseTrace(readFileSync(path, "utf8"), path)).not.toThrow();
    }
  });
});

describe("docs/trace.schema.json", () => {
  it("defines exactly the event types of src/trace/events.ts", async () => {
    const schema = JSON.parse(await readFile("docs/trace.schema.json", "utf8")) as {
      $defs: {
        event: {
          allOf: Array<{ if: { properties: { type: { const?: string; enum?: string[] } } } }>;
        };
      };
    };
    const listed = schema.$defs.event.allOf.flatMap(
      ({ if: { properties } }) => properties.type.enum ?? [properties.type.const],
    );
    expect(new Set(listed)).toEqual(EVENT_TYPES);
  });
});
