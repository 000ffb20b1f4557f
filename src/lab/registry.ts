/**
 * The labs dslab knows: the only place in the core that names them. Adding a lab is one folder
 * under labs/ and one line here; the manifest's lab names, the CLI's help and "unknown lab"
 * errors all come from this list.
 */
import { consensusLab } from "../../labs/consensus/lab.ts";
import { counterLab } from "../../labs/counter/lab.ts";
import { kvrLab } from "../../labs/kvr/lab.ts";
import { rpcLab } from "../../labs/rpc/lab.ts";
import type { Lab } from "./lab.ts";

const LABS: readonly Lab[] = [rpcLab, consensusLab, kvrLab, counterLab];

/** Every lab's name, sorted. */
export const LAB_NAMES: readonly string[] = LABS.map((lab) => lab.name).sort();

export function isLabName(name: string): boolean {
  return LAB_NAMES.includes(name);
}

/** The lab of that name; throws, listing the labs, for any other. */
export function findLab(name: string): Lab {
  const lab = LABS.find((candidate) => candidate.name === name);
  if (!lab) throw new Error(`unknown lab "${name}"; dslab has: ${LAB_NAMES.join(", ")}`);
  return lab;
}

/**
 * Every lab's inspect filter, once per option name, with the labs that have it (two labs may
 * both filter by key): the options `dslab inspect` offers.
 */
export function filterOptions(): { option: string; help: string }[] {
  const byOption = new Map<string, { labs: string[]; help: string }>();
  for (const lab of LABS) {
    for (const filter of lab.filters ?? []) {
      const entry = byOption.get(filter.option) ?? { labs: [], help: filter.help };
      entry.labs.push(lab.name);
      byOption.set(filter.option, entry);
    }
  }
  return [...byOption].map(([option, { labs, help }]) => ({
    option,
    help: `lab ${labs.join(", ")}: ${help}`,
  }));
}
