/**
 * The trace's lines checked against docs/trace.schema.json, the published contract, so that
 * a malformed or hostile trace is refused with its line and reason instead of crashing a
 * checker or reaching the HTML page. The schema is compiled once; validating a line costs
 * far less than parsing it.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { isLabName, LAB_NAMES } from "../lab/registry.ts";
import { describeValue, valueAt } from "../report/describe-value.ts";

const SCHEMA_URL = new URL("../../docs/trace.schema.json", import.meta.url);

/** How $defs.event picks the definition of each type: `if` names types, `then` refers to one. */
interface TypeRule {
  if: { properties: { type: { const?: string; enum?: string[] } } };
  then: { $ref: string };
}

interface Validators {
  header: ValidateFunction;
  /** What every event has (a type and a time). */
  envelope: ValidateFunction;
  /** Each event type's definition, by type; a Map, so no type reaches Object.prototype. */
  byType: Map<string, ValidateFunction>;
}

let validators: Validators | undefined;

/**
 * Compiles the schema once. Events are checked as $defs.event says, but by looking up the
 * definition of their type rather than trying every `if` in turn: six times faster.
 */
function compiled(): Validators {
  if (!validators) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as {
      $id: string;
      $defs: { event: { allOf: TypeRule[] } };
    };
    const ajv = new Ajv2020({ allErrors: false, strictTypes: false });
    ajv.addSchema(schema);
    const definition = (ref: string): ValidateFunction => {
      const validate = ajv.getSchema(`${schema.$id}${ref}`);
      if (!validate) throw new Error(`docs/trace.schema.json has no ${ref}`);
      return validate;
    };
    const byType = new Map<string, ValidateFunction>();
    for (const rule of schema.$defs.event.allOf) {
      const { const: type, enum: types = [type] } = rule.if.properties.type;
      for (const name of types)
        if (name !== undefined) byType.set(name, definition(rule.then.$ref));
    }
    validators = {
      header: definition("#/$defs/header"),
      envelope: definition("#/$defs/envelope"),
      byType,
    };
  }
  return validators;
}

/** What is wrong with a parsed header line, in one phrase; undefined when it is valid. */
export function headerProblem(header: unknown): string | undefined {
  const { header: validate } = compiled();
  if (!validate(header)) return describeError("header", firstError(validate), header);
  const { lab } = header as { lab: string };
  if (!isLabName(lab)) {
    return `header "lab" is ${JSON.stringify(lab)}, not a lab this dslab has (${LAB_NAMES.join(", ")})`;
  }
  return undefined;
}

/** What is wrong with a parsed event line, in one phrase; undefined when it is valid. */
export function eventProblem(event: unknown): string | undefined {
  const { envelope, byType } = compiled();
  if (!envelope(event)) return describeError("event", firstError(envelope), event);
  const { type } = event as { type: string };
  const validate = byType.get(type);
  if (!validate || validate(event)) return undefined;
  return describeError(`${JSON.stringify(type)} event`, firstError(validate), event);
}

/** The failing keyword itself, not the `if` that sent validation to it. */
function firstError(validate: ValidateFunction): ErrorObject | undefined {
  return validate.errors?.find((error) => error.keyword !== "if");
}

const TYPE_NAMES: Record<string, string> = {
  number: "a number",
  integer: "a whole number",
  string: "a string",
  object: "a JSON object",
  array: "an array",
  boolean: "true or false",
  null: "null",
};

function describeError(what: string, error: ErrorObject | undefined, line: unknown): string {
  if (!error) return `${what} does not match docs/trace.schema.json`;
  const segments = error.instancePath.split("/").slice(1);
  const field = segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join("");
  const subject = field === "" ? what : `${what} "${field.replace(/^\./, "")}"`;
  const actual = `(it is ${describeValue(valueAt(line, segments))})`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${subject} is missing "${String(params.missingProperty)}"`;
    case "type": {
      const types = String(params.type)
        .split(",")
        .map((type) => TYPE_NAMES[type] ?? type);
      return `${subject} must be ${types.join(" or ")} ${actual}`;
    }
    case "const":
      return `${subject} must be ${JSON.stringify(params.allowedValue)} ${actual}`;
    case "enum":
      return `${subject} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")} ${actual}`;
    case "minLength":
      return `${subject} must not be empty`;
    default:
      return `${subject} ${error.message ?? "is invalid"} ${actual}`;
  }
}
