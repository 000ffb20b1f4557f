/** The labs dslab knows, by the name a manifest and the CLI use. */
import { consensusDriver } from "../../labs/consensus/workload/driver.ts";
import { rpcDriver } from "../../labs/rpc/workload/driver.ts";
import type { LabDriver } from "./run-scenario.ts";

const DRIVERS: Record<string, LabDriver> = { rpc: rpcDriver, consensus: consensusDriver };

export function labDriver(lab: string): LabDriver {
  // Own keys only: a name from a file ("__proto__", "constructor") must not find a prototype's.
  const driver = Object.hasOwn(DRIVERS, lab) ? DRIVERS[lab] : undefined;
  if (!driver) {
    throw new Error(`unknown lab "${lab}"; dslab has: ${Object.keys(DRIVERS).join(", ")}`);
  }
  return driver;
}
