/**
 * A lab as its folder defines it (labs/<lab>/lab.json): nodes, client links and scenarios with
 * points. The scenario files are data, so a course can read and adjust them without code.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { NemesisPlan } from "../nemesis/plan.ts";

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

export function labDirectory(lab: string): string {
  return fileURLToPath(new URL(`../../labs/${lab}/`, import.meta.url));
}

export async function loadLabDefinition(lab: string): Promise<LabDefinition> {
  const path = `${labDirectory(lab)}lab.json`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`unknown lab "${lab}": there is no ${path}; known labs: rpc`);
  }
  const definition = JSON.parse(text) as LabDefinition;
  const names = new Set<string>();
  for (const scenario of definition.scenarios) {
    if (names.has(scenario.name))
      throw new Error(`${path}: scenario ${scenario.name} is defined twice`);
    names.add(scenario.name);
  }
  return definition;
}

/** The scenarios a run asked for; an unknown name is an error listing the known ones. */
export function selectScenarios(definition: LabDefinition, wanted: string[]): ScenarioDefinition[] {
  if (wanted.length === 0) return definition.scenarios;
  return wanted.map((name) => {
    const found = definition.scenarios.find((scenario) => scenario.name === name);
    if (!found) {
      const known = definition.scenarios.map((scenario) => scenario.name).join(", ");
      throw new Error(`lab ${definition.lab} has no scenario "${name}"; its scenarios: ${known}`);
    }
    return found;
  });
}
