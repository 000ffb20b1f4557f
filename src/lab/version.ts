import { readFileSync } from "node:fs";

/** dslab's own version, as package.json states it (recorded in every trace header). */
export const HARNESS_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
