/**
 * What the student view must never show, gathered before grading starts, whatever a
 * submission manages to read and print:
 * - of the course file: every string it holds about a scenario students are not shown (hidden
 *   or after the due date: name, title, description, tags, parameters), its path and each of
 *   its lines;
 * - of each withheld folder (grade-all: the other submissions): its path and each line of its
 *   text files.
 * A string students can read anyway (in the lab's own definition, in the scenarios they are
 * shown, in their own submission, or a word of dslab's reports such as a property's name) is
 * not a secret: hiding it would only garble honest text.
 */
import { open, readFile, realpath } from "node:fs/promises";
import { basename, resolve } from "node:path";
import {
  COURSE_FILE_SCHEMA,
  type LabDefinition,
  labDirectory,
  loadCourseFile,
  loadLabDefinition,
  type ScenarioDefinition,
} from "../lab/definition.ts";
import { findLab } from "../lab/registry.ts";
import { notPublic, Redactor, type Secret } from "./redact.ts";
import { submissionEntries } from "./submission-files.ts";

/** A withheld file's line this short is code anyone writes ("return 0;"), not theirs. */
const MIN_WITHHELD_LINE_CHARS = 16;
/**
 * What is read of one file, of one folder (a submission) and of all withheld folders together:
 * every grader of a class reads the others, so a large class costs each one at most this.
 */
const MAX_FILE_BYTES = 256 * 1024;
const MAX_FOLDER_BYTES = 1024 * 1024;
const MAX_WITHHELD_BYTES = 16 * 1024 * 1024;
/** Words of reports besides the course schema's and the checkers': statuses and verdicts. */
const REPORT_WORDS = [
  "passed failed not-run pass fail unknown error skipped",
  "running completed interrupted build-failed manifest-invalid",
];

export interface SecretSources {
  lab: string;
  /** The submission graded: what it holds, its student has. */
  submission: string;
  course?: string;
  /** Folders whose paths and files students must not read about (other submissions). */
  withheld: string[];
}

/** The redactor for one grading: its secrets, less whatever students can read anyway. */
export async function gradingRedactor(sources: SecretSources): Promise<Redactor> {
  const definition = await loadLabDefinition(sources.lab, sources.course);
  const candidates = [
    ...(sources.course ? await courseSecrets(definition, sources.course) : []),
    ...(await withheldSecrets(sources.withheld)),
  ];
  if (candidates.length === 0) return Redactor.none();
  const known = [
    await readFile(`${labDirectory(sources.lab)}lab.json`, "utf8"),
    JSON.stringify(definition.scenarios.filter(isShown)),
    JSON.stringify(COURSE_FILE_SCHEMA),
    ...findLab(sources.lab).checkers.map((checker) => `${checker.property} ${checker.description}`),
    ...REPORT_WORDS,
    ...(sources.withheld.length > 0 ? await ownSubmission(sources.submission) : []),
  ];
  return Redactor.of(notPublic(candidates, known.join("\n")));
}

function isShown(scenario: ScenarioDefinition): boolean {
  return (scenario.visibility ?? "visible") === "visible";
}

/** `definition`: the lab as the course changed it. */
async function courseSecrets(definition: LabDefinition, course: string): Promise<Secret[]> {
  const file = await loadCourseFile(course);
  const secrets: Secret[] = [];
  for (const scenario of definition.scenarios.filter((scenario) => !isShown(scenario))) {
    const own = [
      scenario.name,
      scenario.title,
      scenario.description,
      ...(scenario.tags ?? []),
      ...strings(file.overrides?.[scenario.name]),
      ...strings(file.extraScenarios?.find((extra) => extra.name === scenario.name)),
    ];
    for (const text of own) secrets.push({ text, owner: scenario.name });
  }
  const lines = (await readFile(course, "utf8")).split("\n");
  return [...secrets, ...(await pathSecrets(course)), ...lines.map((text) => ({ text }))];
}

/** Every string in a JSON value, at any depth. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

/** A path as given, absolute and with links resolved; not its base name alone (shown on purpose). */
async function pathSecrets(path: string): Promise<Secret[]> {
  const forms = new Set([path, resolve(path), await realpath(path).catch(() => path)]);
  forms.delete(basename(path));
  return [...forms].map((text) => ({ text }));
}

async function withheldSecrets(folders: string[]): Promise<Secret[]> {
  const paths: Secret[] = [];
  // Many submissions share lines (the starter code): each is a secret once.
  const lines = new Set<string>();
  let budget = MAX_WITHHELD_BYTES;
  for (const folder of folders) {
    // With a "/" too: hidden inside a longer path even where the bare one is public (s1, s10).
    for (const { text } of await pathSecrets(folder)) paths.push({ text }, { text: `${text}/` });
    for (const text of await folderText(folder, Math.min(MAX_FOLDER_BYTES, budget))) {
      budget -= text.length;
      for (const line of text.split("\n")) {
        const trimmed = line.trim();
        if (trimmed.length >= MIN_WITHHELD_LINE_CHARS) lines.add(trimmed);
      }
    }
  }
  return [...paths, ...[...lines].map((text) => ({ text }))];
}

/** The text files of a submission (by path order), up to MAX_FILE_BYTES each and `bytes` in all. */
async function folderText(folder: string, bytes: number): Promise<string[]> {
  const entries = await submissionEntries(folder).catch(() => []);
  const texts: string[] = [];
  let budget = bytes;
  for (const entry of entries.sort((a, b) => a.shown.localeCompare(b.shown))) {
    if (entry.kind !== "file" || budget <= 0) continue;
    const text = await readStart(entry.path, Math.min(MAX_FILE_BYTES, budget));
    // Binary files (a NUL byte) are not text anyone prints by accident.
    if (text === undefined || text.includes("\u0000")) continue;
    budget -= text.length;
    texts.push(text);
  }
  return texts;
}

/** What students have of their own: their submission's path and files. */
async function ownSubmission(submission: string): Promise<string[]> {
  const paths = (await pathSecrets(submission)).map((secret) => secret.text);
  return [...paths, ...(await folderText(submission, MAX_FOLDER_BYTES))];
}

async function readStart(path: string, bytes: number): Promise<string | undefined> {
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return undefined;
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await file.close();
  }
}
