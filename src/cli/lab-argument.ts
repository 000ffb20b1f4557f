/** The `<lab>` argument of every command: one of the labs in labs/, listed in the help. */
import { Argument } from "commander";
import { knownLabs } from "../lab/definition.ts";

export function labArgument(): Argument {
  // Commander refuses any other name (exit 2) before the command does anything.
  return new Argument("<lab>", "the lab").choices(knownLabs());
}
