/**
 * What `dslab grade` will run: each selected scenario with its seeds, its pass rule, who may
 * see it and how long it is expected to take (for the time budget).
 */
import type {
  LabDefinition,
  RepeatRule,
  ScenarioDefinition,
  Visibility,
} from "../lab/definition.ts";
import { courseChangesRun, selectScenarios } from "../lab/definition.ts";
import { estimateRunMs } from "../lab/run-estimate.ts";

export interface PassRule {
  runs: number;
  /** How many of the runs must pass. */
  needed: number;
  /** "every run must pass" or "at least 16 of 20 runs must pass (80%)". */
  text: string;
}

export interface PlannedScenario {
  scenario: ScenarioDefinition;
  /** Gradescope's test number: the scenario's place in the lab, from 1. */
  number: number;
  seeds: number[];
  rule: PassRule;
  visibility: Visibility;
  /** All runs together. */
  estimatedMs: number;
  /** The course runs it differently from the lab's own: reproducing it needs the course file. */
  needsCourse: boolean;
}

export interface PlanOptions {
  /** Empty: every scenario. */
  scenarios: string[];
  /** Run k of a scenario uses seed + k. */
  seed: number;
  timeScale: number;
  /** Replaces every scenario's own repeat rule (`--repeat`, `--pass-rate`). */
  repeat?: RepeatRule;
}

/** `lab`: the lab without the course's changes (default: `definition` has none). */
export function planGrade(
  definition: LabDefinition,
  options: PlanOptions,
  lab: LabDefinition = definition,
): PlannedScenario[] {
  return selectScenarios(definition, options.scenarios).map((scenario) => {
    const repeat = options.repeat ?? scenario.repeat ?? { runs: 1 };
    const seeds = Array.from({ length: repeat.runs }, (_, k) => options.seed + k);
    return {
      scenario,
      number: definition.scenarios.indexOf(scenario) + 1,
      seeds,
      rule: passRule(repeat),
      visibility: scenario.visibility ?? "visible",
      estimatedMs: seeds.length * estimateRunMs(definition, scenario, options.timeScale),
      needsCourse: courseChangesRun(lab, scenario),
    };
  });
}

export function passRule(repeat: RepeatRule): PassRule {
  const runs = repeat.runs;
  if (repeat.rule !== "pass-rate") {
    return { runs, needed: runs, text: runs === 1 ? "the run must pass" : "every run must pass" };
  }
  const rate = repeat.minPassRate ?? 1;
  const needed = Math.min(runs, Math.max(1, Math.ceil(rate * runs - 1e-9)));
  return {
    runs,
    needed,
    text: `at least ${needed} of ${runs} runs must pass (${Math.round(rate * 100)}%)`,
  };
}
