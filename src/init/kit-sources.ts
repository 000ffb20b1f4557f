/**
 * The language-specific parts of a starter kit: one stub per procedure of the lab's program,
 * each a clearly marked TODO that answers PROC_UNAVAIL until it is written.
 */
import type { XProcedure } from "./x-program.ts";

/** A built-in XDR type as C (rpcgen's names) sees it; other types are the `.x` file's own. */
const C_BUILTINS: Readonly<Record<string, { type: string; routine: string }>> = {
  int: { type: "int", routine: "xdr_int" },
  unsigned: { type: "u_int", routine: "xdr_u_int" },
  "unsigned int": { type: "u_int", routine: "xdr_u_int" },
  hyper: { type: "quad_t", routine: "xdr_quad_t" },
  "unsigned hyper": { type: "u_quad_t", routine: "xdr_u_quad_t" },
  bool: { type: "bool_t", routine: "xdr_bool" },
  float: { type: "float", routine: "xdr_float" },
  double: { type: "double", routine: "xdr_double" },
};

function cType(xdrType: string): { type: string; routine: string } {
  return C_BUILTINS[xdrType] ?? { type: xdrType, routine: `xdr_${xdrType}` };
}

/** A C++ `case` per procedure but the first (NULL), decoding its argument with rpcgen's routine. */
export function cppCases(procedures: readonly XProcedure[]): string {
  return procedures
    .slice(1)
    .map((procedure) => {
      const result =
        procedure.resultType === "void"
          ? "return {kSuccess, {}} (void results)"
          : `return success(${cType(procedure.resultType).routine}, &result) with a ${procedure.resultType} result`;
      const argument = procedure.argType === "void" ? undefined : cType(procedure.argType);
      return [
        `    case ${procedure.name}: {  // ${procedure.signature}`,
        ...(argument
          ? [
              `      ${argument.type} args{};`,
              `      if (!${argument.routine}(in, &args)) return garbage();`,
            ]
          : []),
        `      // TODO: do the work and ${result}.`,
        ...(argument
          ? [
              `      xdr_free(reinterpret_cast<xdrproc_t>(${argument.routine}), reinterpret_cast<char*>(&args));`,
            ]
          : []),
        "      return unavailable();",
        "    }",
      ].join("\n");
    })
    .join("\n");
}

export function pythonFunctionName(procedure: XProcedure): string {
  return procedure.name.toLowerCase();
}

/** A Python function per procedure but the first (NULL). */
export function pythonStubs(procedures: readonly XProcedure[]): string {
  return procedures
    .slice(1)
    .map((procedure) => {
      const decode =
        procedure.argType === "void"
          ? "It takes no arguments."
          : `Decode a ${procedure.argType} from args (raise GarbageArgs when it does not decode).`;
      const encode =
        procedure.resultType === "void"
          ? 'return b"" (void results)'
          : `return the XDR encoding of a ${procedure.resultType}`;
      return [
        `def ${pythonFunctionName(procedure)}(cred: tuple[int, bytes], args: bytes) -> bytes | None:`,
        `    """${procedure.signature}`,
        "",
        `    TODO: ${decode} Do the work and ${encode}.`,
        "    Until then it returns None and the server answers PROC_UNAVAIL.",
        '    """',
        "    return None",
      ].join("\n");
    })
    .join("\n\n\n");
}

/** The PROCEDURES table's entries: procedure number to function. */
export function pythonTable(procedures: readonly XProcedure[]): string {
  return procedures
    .map(
      (procedure) =>
        `    ${procedure.number}: ${pythonFunctionName(procedure)},  # ${procedure.name}`,
    )
    .join("\n");
}
