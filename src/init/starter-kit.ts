/**
 * `dslab init`: writes a starter submission for a lab, in a language the runtime image can build:
 * a manifest, a build file and a server that speaks ONC RPC (NULL answered, every other procedure
 * a marked TODO answering PROC_UNAVAIL). The kit comes from the lab's own `.x` file, so a lab
 * needs nothing to have kits; it is a start, never a solution.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { labDirectory, loadLabDefinition } from "../lab/definition.ts";
import { findLab } from "../lab/registry.ts";
import { UsageError } from "../lab/usage-error.ts";
import { cppCases, pythonFunctionName, pythonStubs, pythonTable } from "./kit-sources.ts";
import { parseXProgram, type XProgram } from "./x-program.ts";

export const KIT_LANGUAGES = ["cpp", "python"] as const;
export type KitLanguage = (typeof KIT_LANGUAGES)[number];

/** Languages students ask for whose toolchains the runtime image does not have. */
const LANGUAGES_WITHOUT_TOOLCHAIN: Readonly<Record<string, string>> = { go: "Go", rust: "Rust" };

/** What the runtime image builds and runs with (labs/manifest.schema.json, the node contract). */
export const RUNTIME_TOOLCHAIN =
  "gcc and g++ (C11, C++17), make, pkg-config, Python 3.11, rpcgen and libtirpc";

const KITS_DIR = new URL("./kits/", import.meta.url);

/** The language, or a UsageError that says which languages the runtime image supports. */
export function kitLanguage(name: string): KitLanguage {
  const known = KIT_LANGUAGES.find((language) => language === name);
  if (known) return known;
  const missing = LANGUAGES_WITHOUT_TOOLCHAIN[name];
  const supported = `dslab init writes ${KIT_LANGUAGES.join(" and ")} kits, the languages the runtime image builds (${RUNTIME_TOOLCHAIN})`;
  throw new UsageError(
    missing
      ? `--lang ${name}: the runtime image has no ${missing} toolchain, so a ${missing} submission could not build where it is graded; ${supported}`
      : `--lang ${name}: unknown language; ${supported}`,
  );
}

function fill(template: string, values: Readonly<Record<string, string>>, file: string): string {
  return template.replaceAll(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`starter kit ${file}: no value for {{${key}}}`);
    return value;
  });
}

async function labInterface(lab: string): Promise<{ path: string; program: XProgram }> {
  const dir = labDirectory(lab);
  const files = (await readdir(dir)).filter((name) => name.endsWith(".x"));
  if (files.length !== 1) {
    throw new Error(`lab ${lab}: expected one .x file in ${dir}, found ${files.length}`);
  }
  const path = join(dir, files[0] as string);
  const program = parseXProgram(await readFile(path, "utf8"), path);
  const served = findLab(lab).program;
  if (program.number !== served.prog || program.version !== served.vers) {
    throw new Error(
      `lab ${lab}: ${path} declares program ${program.number} version ${program.version}, but the lab serves ${served.prog} version ${served.vers}`,
    );
  }
  const first = program.procedures[0];
  if (first?.number !== 0 || first.argType !== "void" || first.resultType !== "void") {
    throw new Error(`lab ${lab}: ${path}: the first procedure must be NULL (void, number 0)`);
  }
  return { path, program };
}

async function checkEmptyTarget(dir: string): Promise<void> {
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw new UsageError(`cannot use ${dir} for the kit: ${error.message}`);
  });
  if (existing.length > 0) {
    throw new UsageError(
      `${dir} already exists and is not empty: dslab init never overwrites files; name a new folder (dslab init LAB DIR)`,
    );
  }
}

export interface StarterKit {
  dir: string;
  files: string[];
}

/** Writes the kit for `lab` in `language` into `dir` (new or empty); returns what it wrote. */
export async function writeStarterKit(
  lab: string,
  dir: string,
  language: KitLanguage,
): Promise<StarterKit> {
  const { path: xPath, program } = await labInterface(lab);
  await checkEmptyTarget(dir);
  const xFile = basename(xPath);
  const nullProcedure = program.procedures[0] as XProgram["procedures"][number];
  const values: Record<string, string> = {
    LAB: lab,
    TITLE: (await loadLabDefinition(lab)).title,
    PROG: `0x${program.number.toString(16)}`,
    PROGRAM_NAME: program.name,
    VERS: String(program.version),
    VERSION_NAME: program.versionName,
    NULL_NAME: nullProcedure.name,
    NULL_SIGNATURE: nullProcedure.signature,
    NULL_FUNCTION: pythonFunctionName(nullProcedure),
    XFILE: xFile,
    XBASE: xFile.replace(/\.x$/, ""),
    STUBS: pythonStubs(program.procedures),
    TABLE: pythonTable(program.procedures),
    CASES: cppCases(program.procedures),
  };
  const manifest =
    language === "cpp"
      ? { lab, build: "make", run: ["./server"] }
      : { lab, run: ["python3", "-u", "server.py"] };
  const templates = language === "cpp" ? ["server.cc", "Makefile"] : ["server.py"];
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    written.push(name);
  };
  await write("dslab.json", `${JSON.stringify(manifest)}\n`);
  for (const name of templates) {
    const template = await readFile(new URL(`${language}/${name}`, KITS_DIR), "utf8");
    await write(name, fill(template, values, `${language}/${name}`));
  }
  await copyFile(xPath, join(dir, xFile));
  written.push(xFile);
  await write(".gitignore", language === "cpp" ? "build/\nserver\ndslab-out/\n" : "dslab-out/\n");
  return { dir, files: written };
}
