/** The labs dslab knows, by the name a manifest and the CLI use. */
import { consensusDriver } from "../workload/consensus/driver.ts";
import { rpcDriver } from "../workload/rpc/driver.ts";
import type { LabDriver } from "./run-scenario.ts";

const DRIVERS: Record<string, LabDriver> = { rpc: rpcDriver, consensus: consensusDriver };

export function labDriver(lab: string): LabDriver {
  const driver = DRIVERS[lab];
  if (!driver) {
    throw new Error(`unknown lab "${lab}"; dslab has: ${Object.keys(DRIVERS).join(", ")}`);
  }
  return driver;
}
