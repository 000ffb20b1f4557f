/** The `dslab init` command: a starter submission for a lab, and what to do next. */
import { type Command, Option } from "commander";
import { labArgument } from "../cli/lab-argument.ts";
import { quoteArg } from "../lab/run-lab.ts";
import { kitLanguage, writeStarterKit } from "./starter-kit.ts";

export function registerInitCommand(program: Command, done: () => void): void {
  program
    .command("init")
    .description(
      "write a starter submission for a lab: dslab.json, a build file and a server that answers NULL, with every other procedure a TODO",
    )
    .addArgument(labArgument())
    .argument("[dir]", "a new or empty folder for it (default <lab>-<lang>)")
    .addOption(
      new Option(
        "--lang <language>",
        "the kit's language: cpp or python (go and rust: see the error)",
      ).makeOptionMandatory(),
    )
    .action(async (lab: string, dir: string | undefined, opts: { lang: string }) => {
      const language = kitLanguage(opts.lang);
      const kit = await writeStarterKit(lab, dir ?? `${lab}-${language}`, language);
      const command = process.env.DSLAB_COMMAND ?? "bin/dslab";
      console.log(
        `wrote a ${language} starter for lab ${lab} in ${kit.dir}: ${kit.files.join(", ")}`,
      );
      console.log(
        "it answers NULL; every other procedure is a TODO answering PROC_UNAVAIL, so scenarios fail until you write them",
      );
      console.log(
        `next: ${command} test ${lab} ${quoteArg(kit.dir)} --scenario <name> (${command} list ${lab} lists them)`,
      );
      done();
    });
}
