/** Reading a grader's results.json in tests: it must always match docs/results.schema.json. */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Ajv } from "ajv";
import { expect } from "vitest";
import type { GradescopeResults } from "../../src/grade/gradescope.ts";

let validate: ReturnType<Ajv["compile"]> | undefined;

/** Parses results.json and fails the test, naming the schema errors, if it does not match. */
export async function readValidResults(path: string): Promise<GradescopeResults> {
  validate ??= new Ajv({ allErrors: true }).compile(
    JSON.parse(readFileSync("docs/results.schema.json", "utf8")),
  );
  const results = JSON.parse(await readFile(path, "utf8"));
  expect(validate(results), `${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
  return results as GradescopeResults;
}
