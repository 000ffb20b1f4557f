/**
 * Course files: overrides by scenario name and extra scenarios, without editing dslab; every
 * mistake is refused with the file and the field named.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CourseFileError, loadLabDefinition } from "../src/lab/definition.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();

async function courseFile(content: unknown): Promise<string> {
  const dir = await tempDir("dslab-course-");
  const path = join(dir, "course.json");
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function courseError(content: unknown): Promise<string> {
  const path = await courseFile(content);
  const error = await loadLabDefinition("rpc", path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CourseFileError);
  const message = (error as Error).message;
  expect(message).toContain(path);
  return message;
}

describe("a course file", () => {
  it("leaves the lab alone when there is none; every lab scenario is visible", async () => {
    const lab = await loadLabDefinition("rpc");
    expect(lab.scenarios.length).toBeGreaterThanOrEqual(16);
    expect(
      lab.scenarios.every((s) => s.visibility === undefined || s.visibility === "visible"),
    ).toBe(true);
  });

  it("the bundled example overrides by name and adds scenarios after the lab's", async () => {
    const lab = await loadLabDefinition("rpc");
    const course = await loadLabDefinition("rpc", "integrations/course-example.json");
    const byName = new Map(course.scenarios.map((s) => [s.name, s]));
    expect(course.scenarios.map((s) => s.name)).toEqual([
      ...lab.scenarios.map((s) => s.name),
      "long-lost-replies",
    ]);
    expect(byName.get("memory")?.visibility).toBe("hidden");
    expect(byName.get("mixed")).toMatchObject({
      visibility: "after_due_date",
      points: 15,
      repeat: { runs: 5, rule: "pass-rate", minPassRate: 0.8 },
      // untouched fields stay
      nemesis: lab.scenarios.find((s) => s.name === "mixed")?.nemesis,
      workload: { durationMs: 8000 },
    });
    expect(byName.get("long-lost-replies")?.visibility).toBe("hidden");
    expect(byName.get("clean")?.expectAllOk).toBe(true);
  });

  it("merges workload overrides key by key", async () => {
    const path = await courseFile({
      lab: "rpc",
      overrides: { mixed: { workload: { clients: 2 } } },
    });
    const mixed = (await loadLabDefinition("rpc", path)).scenarios.find((s) => s.name === "mixed");
    expect(mixed?.workload).toEqual({ durationMs: 8000, clients: 2 });
  });

  it("names the field of a wrong value, an unknown field and a misspelt scenario", async () => {
    expect(
      await courseError({ lab: "rpc", overrides: { memory: { visibility: "secret" } } }),
    ).toContain(
      "/overrides/memory/visibility must be one of: visible, hidden, after_due_date, after_published",
    );
    expect(await courseError({ lab: "rpc", overrides: { memory: { hiden: true } } })).toContain(
      '/overrides/memory has an unknown field "hiden"',
    );
    expect(await courseError({ lab: "rpc", overrides: { memroy: { points: 1 } } })).toContain(
      '/overrides/memroy: lab rpc has no scenario "memroy"',
    );
    expect(
      await courseError({ lab: "rpc", overrides: { clean: { repeat: { runs: 0 } } } }),
    ).toContain("/overrides/clean/repeat/runs must be >= 1");
    expect(
      await courseError({
        lab: "rpc",
        overrides: { clean: { repeat: { runs: 5, rule: "pass-rate" } } },
      }),
    ).toContain('/overrides/clean/repeat: the rule "pass-rate" needs "minPassRate"');
  });

  it("refuses a workload parameter the lab does not have, listing the ones it has", async () => {
    expect(
      await courseError({ lab: "rpc", overrides: { mixed: { workload: { client: 2 } } } }),
    ).toContain(
      '/overrides/mixed/workload/client: lab rpc has no workload parameter "client"; its parameters: clients, durationMs,',
    );
    expect(
      await courseError({
        lab: "rpc",
        extraScenarios: [
          { name: "x", title: "X", description: "d", points: 1, workload: { slots: 3 } },
        ],
      }),
    ).toContain('/extraScenarios/0/workload/slots: lab rpc has no workload parameter "slots"');
  });

  it("refuses an extra scenario that is incomplete or reuses a lab scenario's name", async () => {
    expect(
      await courseError({ lab: "rpc", extraScenarios: [{ name: "x", title: "X", points: 1 }] }),
    ).toContain("/extraScenarios/0 must have required property 'description'");
    expect(
      await courseError({
        lab: "rpc",
        extraScenarios: [{ name: "clean", title: "again", description: "d", points: 1 }],
      }),
    ).toContain('/extraScenarios/0/name: "clean" is already a scenario');
  });

  it("refuses another lab's course file, and one that is not JSON", async () => {
    expect(await courseError({ lab: "consensus" })).toContain('/lab is "consensus"');
    expect(await courseError("{ lab: rpc }")).toContain("cannot be read as JSON");
  });
});
