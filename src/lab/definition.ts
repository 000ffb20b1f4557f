/**
 * A lab as its folder defines it (labs/<lab>/lab.json): nodes, client links and scenarios with
 * points. The scenario files are data, so a course can read and adjust them without code, and
 * a course file (`--course course.json`) overrides scenarios by name and adds its own.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { NEMESIS_PLAN_SCHEMA, type NemesisPlan } from "../nemesis/plan.ts";
import { RUNTIME_KINDS, type RuntimeKind } from "../runtime/infrastructure.ts";
import { findLab, isLabName, LAB_NAMES } from "./registry.ts";

/** Gradescope's visibility levels: who sees a scenario's result, and when. */
export const VISIBILITIES = ["visible", "hidden", "after_due_date", "after_published"] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** A scenario graded on several seeds, and the rule that turns the runs into one verdict. */
export interface RepeatRule {
  /** Runs on seed, seed+1, ..., seed+runs-1. */
  runs: number;
  /** "all" (default): every run must pass; "pass-rate": at least minPassRate of them. */
  rule?: "all" | "pass-rate";
  /** For "pass-rate": the share of runs, in (0, 1], that must pass. */
  minPassRate?: number;
}

export interface ScenarioDefinition {
  name: string;
  title: string;
  /** What the scenario does to a submission and which rules it grades. */
  description: string;
  points: number;
  /** A directed probe's name, or absent for the randomized workload. */
  probe?: string;
  /** Workload parameters overriding the lab's defaults (lab-specific). */
  workload?: Record<string, number>;
  nemesis?: NemesisPlan;
  /** Every call must succeed (a clean network). */
  expectAllOk?: boolean;
  /**
   * The fewest distinct calls that must get a reply for the run to pass (default 1): far
   * below what a slow correct submission answers, far above what one that hardly answers
   * does (src/check/evidence.ts).
   */
  minAnsweredCalls?: number;
  /** Nodes for this scenario when not the lab's (lab 2 runs 3 and 5). */
  nodes?: string[];
  /** Lab-specific parameters recorded in the trace header for the checkers (bounds...). */
  params?: Record<string, unknown>;
  /** Who sees the result (default "visible"); see docs/autograder.md. */
  visibility?: Visibility;
  /** Run on several seeds (default one run). */
  repeat?: RepeatRule;
  /** Labels for the grade report (Gradescope's test tags). */
  tags?: string[];
  /**
   * One run's wall time in ms, for the grade time budget. Default: the workload or nemesis
   * duration times the time scale, plus start-up. Probes give theirs (they hardly scale).
   */
  estimatedMs?: number;
}

export interface LabDefinition {
  lab: string;
  title: string;
  nodes: string[];
  /** Client names; each gets its own proxy link to each node. */
  clients: string[];
  workloadDefaults: Record<string, number>;
  scenarios: ScenarioDefinition[];
}

/** The most runs a repeat rule (or --repeat, --seeds) may ask for. */
export const MAX_REPEAT_RUNS = 1000;

/** An unknown lab or scenario name: the user's mistake, reported as bad usage. */
export class LabLookupError extends Error {}

export function labDirectory(lab: string): string {
  return fileURLToPath(new URL(`../../labs/${lab}/`, import.meta.url));
}

/** The labs of the registry (each a folder labs/<lab>/ with its lab.json). */
export function knownLabs(): string[] {
  return [...LAB_NAMES];
}

/**
 * The lab's definition, adjusted by a course file when one is given (see applyCourse). The
 * course file is validated before use; its errors name the file and the field.
 */
export async function loadLabDefinition(lab: string, coursePath?: string): Promise<LabDefinition> {
  const definition = await loadBareLabDefinition(lab);
  if (coursePath === undefined) return definition;
  return applyCourse(definition, await loadCourseFile(coursePath), resolve(coursePath));
}

async function loadBareLabDefinition(lab: string): Promise<LabDefinition> {
  const path = `${labDirectory(lab)}lab.json`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new LabLookupError(
      `unknown lab "${lab}": there is no ${path}; known labs: ${knownLabs().join(", ")}`,
    );
  }
  const definition = JSON.parse(text) as LabDefinition;
  const problems = [
    ...missingDefaults(lab, definition.workloadDefaults ?? {}),
    ...workloadProblems(lab, [
      ["/workloadDefaults", definition.workloadDefaults ?? {}],
      ...definition.scenarios.map(
        (scenario, index): WorkloadAt => [`/scenarios/${index}/workload`, scenario.workload],
      ),
    ]),
  ];
  if (problems.length > 0)
    throw new Error(`${path}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  const names = new Set<string>();
  for (const scenario of definition.scenarios) {
    if (names.has(scenario.name))
      throw new Error(`${path}: scenario ${scenario.name} is defined twice`);
    names.add(scenario.name);
  }
  return definition;
}

/** A workload object and where it is in its file. */
type WorkloadAt = [string, Record<string, number> | undefined];

/** What lab.json's defaults lack of the lab's parameters, as messages. */
function missingDefaults(lab: string, defaults: Record<string, number>): string[] {
  if (!isLabName(lab)) return [];
  return Object.keys(findLab(lab).workloadParameters)
    .filter((name) => !Object.hasOwn(defaults, name))
    .map(
      (name) => `/workloadDefaults: missing "${name}" (${findLab(lab).workloadParameters[name]})`,
    );
}

/** Every workload parameter that the lab does not have, named with its place and the real ones. */
function workloadProblems(lab: string, places: WorkloadAt[]): string[] {
  const parameters = isLabName(lab) ? findLab(lab).workloadParameters : {};
  const known = Object.keys(parameters);
  const problems: string[] = [];
  for (const [at, workload] of places) {
    for (const name of Object.keys(workload ?? {})) {
      if (!Object.hasOwn(parameters, name)) {
        problems.push(
          `${at}/${name}: lab ${lab} has no workload parameter "${name}"; its parameters: ${known.join(", ")}`,
        );
      }
    }
  }
  return problems;
}

/** The scenarios a run asked for; an unknown name is an error listing the known ones. */
export function selectScenarios(definition: LabDefinition, wanted: string[]): ScenarioDefinition[] {
  if (wanted.length === 0) return definition.scenarios;
  return wanted.map((name) => {
    const found = definition.scenarios.find((scenario) => scenario.name === name);
    if (!found) {
      const known = definition.scenarios.map((scenario) => scenario.name).join(", ");
      throw new LabLookupError(
        `lab ${definition.lab} has no scenario "${name}"; its scenarios: ${known}`,
      );
    }
    return found;
  });
}

/** What a course file may change in one of the lab's scenarios. */
export type ScenarioOverride = Partial<
  Pick<
    ScenarioDefinition,
    | "title"
    | "description"
    | "points"
    | "visibility"
    | "repeat"
    | "tags"
    | "workload"
    | "nemesis"
    | "expectAllOk"
    | "minAnsweredCalls"
    | "estimatedMs"
  >
>;

/** A course's adjustments to a lab, kept outside dslab (docs/autograder.md). */
export interface CourseFile {
  lab: string;
  /** By scenario name: the fields to replace (workload is merged key by key). */
  overrides?: Record<string, ScenarioOverride>;
  /** Scenarios of the course's own, run after the lab's. */
  extraScenarios?: ScenarioDefinition[];
  /** Where `dslab grade` and `grade-all` run nodes unless `--runtime` says otherwise. */
  runtime?: RuntimeKind;
  /**
   * The first seed of every grading unless `--seed` says otherwise: one for everyone, or
   * "submission-id" for one derived from the Gradescope submission's id, so a regrade of the
   * same submission meets the same faults.
   */
  seed?: CourseSeed;
}

export type CourseSeed = number | typeof SEED_FROM_SUBMISSION_ID;
export const SEED_FROM_SUBMISSION_ID = "submission-id";

/** A course file that cannot be used: every problem names the file and the field. */
export class CourseFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(
      `${file}: ${problems.length === 1 ? problems[0] : `\n${problems.map((p) => `  - ${p}`).join("\n")}`}\nThe format is in docs/autograder.md (example: integrations/course-example.json).`,
    );
    this.name = "CourseFileError";
  }
}

const repeatSchema = {
  type: "object",
  required: ["runs"],
  additionalProperties: false,
  properties: {
    runs: { type: "integer", minimum: 1, maximum: MAX_REPEAT_RUNS },
    rule: { enum: ["all", "pass-rate"] },
    minPassRate: { type: "number", exclusiveMinimum: 0, maximum: 1 },
  },
} as const;

const overridableProperties = {
  title: { type: "string", minLength: 1 },
  description: { type: "string" },
  points: { type: "number", minimum: 0 },
  visibility: { enum: VISIBILITIES },
  repeat: repeatSchema,
  tags: { type: "array", items: { type: "string" } },
  workload: { type: "object", additionalProperties: { type: "number" } },
  nemesis: NEMESIS_PLAN_SCHEMA,
  expectAllOk: { type: "boolean" },
  minAnsweredCalls: { type: "integer", minimum: 1 },
  estimatedMs: { type: "integer", minimum: 0 },
} as const;

/** JSON Schema (draft-07) of a course file. */
export const COURSE_FILE_SCHEMA = {
  type: "object",
  required: ["lab"],
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    lab: { type: "string", minLength: 1 },
    runtime: { enum: RUNTIME_KINDS },
    // 2^31 - 1: MAX_SEED of src/cli/seed.ts, which imports this module.
    seed: {
      oneOf: [
        { type: "integer", minimum: 0, maximum: 2 ** 31 - 1 },
        { const: SEED_FROM_SUBMISSION_ID },
      ],
    },
    overrides: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: overridableProperties,
      },
    },
    extraScenarios: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "title", "description", "points"],
        additionalProperties: false,
        properties: {
          ...overridableProperties,
          name: { type: "string", pattern: "^[a-z0-9][a-z0-9-]*$" },
          probe: { type: "string", minLength: 1 },
        },
      },
    },
  },
} as const;

let courseValidator: ValidateFunction | undefined;

export async function loadCourseFile(path: string): Promise<CourseFile> {
  const file = resolve(path);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CourseFileError(file, [
      `cannot be read as JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
  courseValidator ??= new Ajv({ allErrors: true, verbose: true }).compile(COURSE_FILE_SCHEMA);
  if (!courseValidator(data)) {
    throw new CourseFileError(file, describeCourseErrors(courseValidator.errors ?? []));
  }
  return data as CourseFile;
}

/**
 * One line per field, e.g. `/overrides/memory/visibility must be one of: visible, hidden, ...
 * (not "secret")`.
 */
function describeCourseErrors(errors: ErrorObject[]): string[] {
  const lines = new Set<string>();
  for (const error of errors) {
    // The nemesis plan's oneOf repeats each problem once per fault kind; its own line says enough.
    if (error.keyword === "oneOf") continue;
    const at = error.instancePath === "" ? "the file" : error.instancePath;
    if (at === "/seed") {
      // One line for both of its forms, not one per form.
      lines.add(
        `/seed must be a seed from 0 to 2147483647 or "${SEED_FROM_SUBMISSION_ID}" (not ${JSON.stringify(error.data)})`,
      );
      continue;
    }
    if (error.keyword === "additionalProperties") {
      const field = String(error.params.additionalProperty);
      lines.add(`${at} has an unknown field "${field}": remove it or fix its spelling`);
    } else if (error.keyword === "enum") {
      const allowed = (error.params.allowedValues as unknown[]).map(String).join(", ");
      // verbose: the error carries the value, so a typo is named as it is in the file.
      lines.add(`${at} must be one of: ${allowed} (not ${JSON.stringify(error.data)})`);
    } else {
      lines.add(`${at} ${error.message ?? "is invalid"}`);
    }
  }
  return [...lines];
}

/**
 * The lab with a course's changes: overridden fields replace the lab's (workload merges key by
 * key), extra scenarios follow the lab's. Unknown override names and clashing extra names are
 * errors, so a typo never silently grades the wrong thing.
 */
export function applyCourse(
  definition: LabDefinition,
  course: CourseFile,
  file = "course file",
): LabDefinition {
  const problems: string[] = [];
  if (course.lab !== definition.lab) {
    problems.push(`/lab is "${course.lab}", but this is lab "${definition.lab}"`);
  }
  const known = definition.scenarios.map((scenario) => scenario.name);
  for (const name of Object.keys(course.overrides ?? {})) {
    if (!known.includes(name)) {
      problems.push(
        `/overrides/${name}: lab ${definition.lab} has no scenario "${name}"; its scenarios: ${known.join(", ")}`,
      );
    }
  }
  const repeats: Array<[string, RepeatRule | undefined]> = [
    ...Object.entries(course.overrides ?? {}).map(
      ([name, override]): [string, RepeatRule | undefined] => [
        `/overrides/${name}/repeat`,
        override.repeat,
      ],
    ),
    ...(course.extraScenarios ?? []).map((extra, index): [string, RepeatRule | undefined] => [
      `/extraScenarios/${index}/repeat`,
      extra.repeat,
    ]),
  ];
  for (const [at, repeat] of repeats) {
    if (repeat?.rule === "pass-rate" && repeat.minPassRate === undefined) {
      problems.push(`${at}: the rule "pass-rate" needs "minPassRate" (e.g. 0.8)`);
    }
  }
  const extraNames = new Set<string>();
  (course.extraScenarios ?? []).forEach((extra, index) => {
    if (known.includes(extra.name) || extraNames.has(extra.name)) {
      problems.push(
        `/extraScenarios/${index}/name: "${extra.name}" is already a scenario; override it under /overrides/${extra.name} instead`,
      );
    }
    extraNames.add(extra.name);
  });
  problems.push(
    ...workloadProblems(definition.lab, [
      ...Object.entries(course.overrides ?? {}).map(
        ([name, override]): WorkloadAt => [`/overrides/${name}/workload`, override.workload],
      ),
      ...(course.extraScenarios ?? []).map(
        (extra, index): WorkloadAt => [`/extraScenarios/${index}/workload`, extra.workload],
      ),
    ]),
  );
  if (problems.length > 0) throw new CourseFileError(file, problems);
  const scenarios = definition.scenarios.map((scenario) => {
    const override = course.overrides?.[scenario.name];
    if (!override) return scenario;
    const workload =
      override.workload || scenario.workload
        ? { ...scenario.workload, ...override.workload }
        : undefined;
    return { ...scenario, ...override, ...(workload ? { workload } : {}) };
  });
  return { ...definition, scenarios: [...scenarios, ...(course.extraScenarios ?? [])] };
}

/** The fields that decide what a run does (the rest only present or weigh its result). */
const RUN_FIELDS = [
  "probe",
  "workload",
  "nemesis",
  "expectAllOk",
  "minAnsweredCalls",
  "nodes",
  "params",
] as const;

/**
 * True when the course's version of a scenario runs differently from the lab's own (or the
 * lab has no such scenario): reproducing it then needs the course file.
 */
export function courseChangesRun(lab: LabDefinition, scenario: ScenarioDefinition): boolean {
  const own = lab.scenarios.find((candidate) => candidate.name === scenario.name);
  return (
    own === undefined ||
    RUN_FIELDS.some((field) => JSON.stringify(own[field]) !== JSON.stringify(scenario[field]))
  );
}

/**
 * What a course file allows but probably does not mean: hidden scenarios that carry points
 * count in the grade while students never see why they lost them (and Gradescope hides the
 * total score from students while any test is hidden). `names` false keeps scenario names out
 * (the warning may be printed where students read).
 */
export function courseWarnings(scenarios: ScenarioDefinition[], names: boolean): string[] {
  const hidden = scenarios.filter(
    (scenario) => scenario.visibility === "hidden" && scenario.points > 0,
  );
  if (hidden.length === 0) return [];
  const points = hidden.reduce((sum, scenario) => sum + scenario.points, 0);
  const which = names
    ? ` (${hidden.map((scenario) => `${scenario.name}: ${scenario.points}`).join(", ")})`
    : "";
  return [
    `${hidden.length} hidden scenario${hidden.length === 1 ? " carries" : "s carry"} ${points} points${which}: they count in the score, but students never see why they lost them, and Gradescope hides the total score from students while any test is hidden; give them "visibility": "after_due_date" or "after_published", or 0 points`,
  ];
}
