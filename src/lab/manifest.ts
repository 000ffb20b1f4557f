/**
 * The submission manifest, dslab.json: read, validated against labs/manifest.schema.json (the
 * very schema students are shown), and explained in a student's words when it is wrong.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Ajv2020, type DefinedError, type ValidateFunction } from "ajv/dist/2020.js";
import { describeValue, valueAt } from "../report/describe-value.ts";
import { LAB_NAMES } from "./registry.ts";

export const MANIFEST_FILE = "dslab.json";
const SCHEMA_URL = new URL("../../labs/manifest.schema.json", import.meta.url);
const ALLOWED_FIELDS = ["lab", "build", "run", "image"] as const;
const ADVICE =
  'The format is in docs/node-contract.md (schema: labs/manifest.schema.json); for example {"lab": "rpc", "build": "make", "run": ["./server"]}.';

export interface Manifest {
  /** A lab of the registry (src/lab/registry.ts). */
  lab: string;
  /** Run as `sh -c <build>` in the submission directory. */
  build?: string;
  /** The argv that starts one node. */
  run: string[];
  /** A course's own node image for `--runtime docker` (default dslab/runtime:1). */
  image?: string;
}

/** A manifest that cannot be used; the message names the file, the problems and the fix. */
export class ManifestError extends Error {
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: string[], advice: string) {
    const list =
      problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  - ${p}`).join("\n")}`;
    super(`${file}:${list}\n${advice}`);
    this.name = "ManifestError";
    this.file = file;
    this.problems = problems;
  }
}

/** Reads and validates `<submissionDir>/dslab.json`; throws ManifestError when it is unusable. */
export async function loadManifest(submissionDir: string): Promise<Manifest> {
  const dir = path.resolve(submissionDir);
  await requireDirectory(dir);
  const file = path.join(dir, MANIFEST_FILE);
  const data = parseJson(file, await readManifestText(file));
  const validate = await manifestValidator();
  if (validate(data)) return data;
  const problems = describeSchemaErrors((validate.errors ?? []) as DefinedError[], data);
  throw new ManifestError(file, problems, `Fix ${MANIFEST_FILE} and run again. ${ADVICE}`);
}

/**
 * The argv to spawn, with the submission directory as working directory: an argv[0] with a
 * `/` is resolved against the directory (so "./server" works whatever dslab's own cwd is); a
 * bare name is left for PATH lookup.
 */
export function resolveRunArgv(manifest: Manifest, dir: string): string[] {
  const [program, ...args] = manifest.run;
  if (program === undefined) throw new Error(`manifest for ${dir} has an empty "run"`);
  return [program.includes("/") ? path.resolve(dir, program) : program, ...args];
}

async function requireDirectory(dir: string): Promise<void> {
  const advice = `Pass the directory that contains your ${MANIFEST_FILE}, e.g. \`dslab test rpc path/to/submission\`.`;
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (err) {
    const reason =
      errorCode(err) === "ENOENT" ? "does not exist" : `cannot be read (${String(err)})`;
    throw new ManifestError(dir, [`the submission directory ${reason}.`], advice);
  }
  if (!isDirectory) {
    throw new ManifestError(dir, ["is a file, not a submission directory."], advice);
  }
}

async function readManifestText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = errorCode(err);
    if (code === "ENOENT") {
      throw new ManifestError(
        file,
        ["not found: every submission needs a manifest at its top level."],
        `Create ${MANIFEST_FILE} next to your code. ${ADVICE}`,
      );
    }
    const reason =
      code === "EISDIR" ? "is a directory, not a file" : `cannot be read (${String(err)})`;
    throw new ManifestError(
      file,
      [`${reason}.`],
      `Make ${MANIFEST_FILE} a readable file. ${ADVICE}`,
    );
  }
}

function parseJson(file: string, rawText: string): unknown {
  const text = rawText.replace(/^\uFEFF/, ""); // editors on some systems add a byte-order mark
  const advice = `Fix the syntax: JSON needs double quotes around names and strings, commas between items and none after the last. ${ADVICE}`;
  if (text.trim() === "") throw new ManifestError(file, ["is empty."], advice);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ManifestError(
      file,
      [`is not valid JSON: ${describeSyntaxError(err, text)}.`],
      advice,
    );
  }
}

/** V8's message with the position turned into a line and column a student can find. */
function describeSyntaxError(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const position = /at position (\d+)/.exec(message)?.[1];
  const offset =
    position !== undefined
      ? Number(position)
      : /end of JSON input/.test(message)
        ? text.length
        : undefined;
  const what = message
    .replace(/ in JSON at position.*$/, "")
    .replace(/, ".*" is not valid JSON$/, "");
  if (offset === undefined) return what;
  const before = text.slice(0, offset).split("\n");
  const line = before.length;
  const column = (before.at(-1)?.length ?? 0) + 1;
  return `${what} at line ${line}, column ${column}`;
}

let validatorPromise: Promise<ValidateFunction<Manifest>> | undefined;

/**
 * The schema is read from the repository at run time so that students and dslab share one copy;
 * the labs it accepts are the registry's.
 */
function manifestValidator(): Promise<ValidateFunction<Manifest>> {
  validatorPromise ??= readFile(SCHEMA_URL, "utf8").then((text) => {
    const schema = JSON.parse(text) as { properties: { lab: Record<string, unknown> } };
    schema.properties.lab = { ...schema.properties.lab, enum: [...LAB_NAMES] };
    return new Ajv2020({ allErrors: true }).compile<Manifest>(schema);
  });
  return validatorPromise;
}

/** What each field must be, in a student's words (a function: the registry loads after this). */
const fieldExpectation = (field: string): string | undefined =>
  field === "lab"
    ? `one of ${LAB_NAMES.map((name) => `"${name}"`).join(", ")}`
    : FIELD_EXPECTATIONS[field];

const FIELD_EXPECTATIONS: Record<string, string> = {
  build: 'a non-empty shell command such as "make" (or leave the field out)',
  run: 'a non-empty array of strings such as ["./server"] or ["python3", "server.py"]',
  image: 'a local Docker image name such as "dslab/runtime:1" (or leave the field out)',
};

/** Turns Ajv's errors into one sentence per problem, unknown fields grouped into one. */
function describeSchemaErrors(errors: DefinedError[], data: unknown): string[] {
  const problems: string[] = [];
  const unknownFields: string[] = [];
  const seenPaths = new Set<string>();
  for (const error of errors) {
    if (error.keyword === "additionalProperties") {
      unknownFields.push(error.params.additionalProperty);
      continue;
    }
    if (error.keyword === "required") {
      const field = error.params.missingProperty;
      problems.push(
        `missing the required field "${field}": it must be ${fieldExpectation(field) ?? "present"}.`,
      );
      continue;
    }
    if (seenPaths.has(error.instancePath)) continue; // one sentence per field is enough
    seenPaths.add(error.instancePath);
    problems.push(describeValueError(error, data));
  }
  if (unknownFields.length > 0) {
    const names = unknownFields.map((f) => `"${f}"`).join(", ");
    const allowed = ALLOWED_FIELDS.map((f) => `"${f}"`).join(", ");
    const [noun, fix] =
      unknownFields.length === 1
        ? ["unknown field", "remove it or fix its spelling"]
        : ["unknown fields", "remove them or fix their spelling"];
    problems.unshift(`${noun} ${names}: the allowed fields are ${allowed}; ${fix}.`);
  }
  return problems;
}

function describeValueError(error: DefinedError, data: unknown): string {
  const segments = error.instancePath.split("/").slice(1);
  const actual = describeValue(valueAt(data, segments));
  const [field, index] = segments;
  if (field === undefined) {
    return `must contain one JSON object such as {"lab": "rpc", "run": ["./server"]}, but it contains ${actual}.`;
  }
  if (index !== undefined)
    return `${field}[${index}] must be a non-empty string, but it is ${actual}.`;
  const expected = fieldExpectation(field);
  if (expected !== undefined) return `"${field}" must be ${expected}, but it is ${actual}.`;
  return `"${field}" ${error.message ?? "is invalid"}.`;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}
