/**
 * The program block of an ONC RPC interface file (`.x`, RFC 5531 section 12): names, numbers
 * and each procedure's argument and result types, as the starter kits need them. Only the
 * one-argument procedures the labs' files use are read; anything else is an error that names
 * the line, so a lab with a newer `.x` fails `dslab init` loudly rather than writing a wrong kit.
 */

export interface XProcedure {
  name: string;
  number: number;
  /** The argument's type as written ("kvpair", "unsigned hyper", "void"); a parameter name dropped. */
  argType: string;
  resultType: string;
  /** The declaration as written, for comments: "kv_status KV_CREATE(kvpair) = 1". */
  signature: string;
}

export interface XProgram {
  name: string;
  number: number;
  versionName: string;
  version: number;
  procedures: XProcedure[];
}

/** Type words of XDR's built-in types: in "int delta" the last word is a parameter name. */
const BUILTIN_TYPE_WORDS = new Set([
  "unsigned",
  "int",
  "hyper",
  "bool",
  "float",
  "double",
  "quadruple",
  "void",
]);

function parseNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${what}: "${text}" is not a number`);
  return value;
}

function argumentType(written: string): string {
  const words = written.trim().split(/\s+/);
  const last = words.at(-1) ?? "";
  return words.length > 1 && !BUILTIN_TYPE_WORDS.has(last)
    ? words.slice(0, -1).join(" ")
    : words.join(" ");
}

/** The one program of `text` (the contents of `file`) and its first version. */
export function parseXProgram(text: string, file: string): XProgram {
  const withoutComments = text.replaceAll(/\/\*[\s\S]*?\*\//g, "").replaceAll(/%.*$/gm, "");
  const program = /\bprogram\s+(\w+)\s*\{([\s\S]*)\}\s*=\s*(\w+)\s*;/.exec(withoutComments);
  if (!program) throw new Error(`${file}: no "program NAME { ... } = NUMBER;" block`);
  const [, name = "", body = "", number = ""] = program;
  const version = /\bversion\s+(\w+)\s*\{([\s\S]*?)\}\s*=\s*(\w+)\s*;/.exec(body);
  if (!version) throw new Error(`${file}: program ${name} has no "version NAME { ... } = NUMBER;"`);
  const [, versionName = "", declarations = "", versionNumber = ""] = version;
  const procedures = declarations
    .split(";")
    .map((line) => line.trim().replaceAll(/\s+/g, " "))
    .filter((line) => line !== "")
    .map((line) => {
      const match = /^(.+?) (\w+) ?\((.*)\) ?= ?(\w+)$/.exec(line);
      if (!match) throw new Error(`${file}: cannot read the procedure "${line}"`);
      const [, resultType = "", procName = "", written = "", procNumber = ""] = match;
      if (written.includes(",")) {
        throw new Error(`${file}: ${procName} takes several arguments; starter kits support one`);
      }
      return {
        name: procName,
        number: parseNumber(procNumber, `${file}: ${procName}`),
        argType: argumentType(written),
        resultType,
        signature: `${line};`,
      };
    });
  return {
    name,
    number: parseNumber(number, `${file}: program ${name}`),
    versionName,
    version: parseNumber(versionNumber, `${file}: version ${versionName}`),
    procedures,
  };
}
