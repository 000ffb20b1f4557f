/** The labs dslab knows, by the name a manifest and the CLI use. */
import { rpcDriver } from "../workload/rpc/driver.ts";
import type { LabDriver } from "./run-scenario.ts";

const DRIVERS: Record<string, LabDriver> = { rpc: rpcDriver };

export function labDriver(lab: string): LabDriver {
  const driver = DRIVERS[lab];
  if (!driver) {
    throw new Error(`unknown lab "${lab}"; dslab has: ${Object.keys(DRIVERS).join(", ")}`);
  }
  return driver;
}
