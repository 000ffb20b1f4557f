/**
 * The layering that makes a lab a plugin, read from the import specifiers of every module in
 * src/ and labs/: the core imports no lab's folder but through the registry, no lab imports
 * another, the low layer (src/host: processes, cgroups, containers) imports neither the
 * runtime nor the fault network, and no module reaches itself again through value imports (a
 * cycle: the order modules start in then decides what works).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(".");
const REGISTRY = "src/lab/registry.ts";

interface Import {
  to: string;
  /** `import type`: erased, so it neither runs code nor makes a cycle. */
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

const IMPORT = /(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(IMPORT)].map((m) => ({
    to: relative(ROOT, resolve(dirname(join(ROOT, file)), (m[3] ?? m[4]) as string)),
    typeOnly: m[2] !== undefined,
  }));
}

const files = [...sources("src"), ...sources("labs")];
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const labOf = (file: string) => (file.startsWith("labs/") ? file.split("/")[1] : undefined);

function violations(rule: (from: string, to: string) => boolean): string[] {
  return [...graph].flatMap(([from, imports]) =>
    imports.filter(({ to }) => rule(from, to)).map(({ to }) => `${from} -> ${to}`),
  );
}

/** Every cycle of value imports, each as the path that closes it. */
function valueCycles(): string[] {
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    state.set(file, "open");
    for (const { to, typeOnly } of graph.get(file) ?? []) {
      if (typeOnly || !graph.has(to)) continue;
      if (state.get(to) === "open") cycles.push([...path.slice(path.indexOf(to)), to].join(" -> "));
      else if (!state.has(to)) visit(to, [...path, to]);
    }
    state.set(file, "done");
  };
  for (const file of files) if (!state.has(file)) visit(file, [file]);
  return cycles;
}

describe("layering", () => {
  it("reads the imports it checks (the scan is not empty)", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(REGISTRY)?.some(({ to }) => to.startsWith("labs/"))).toBe(true);
  });

  it("keeps the core out of every lab's folder, except the registry", () => {
    expect(
      violations(
        (from, to) => from.startsWith("src/") && from !== REGISTRY && to.startsWith("labs/"),
      ),
    ).toEqual([]);
  });

  it("keeps each lab out of every other lab's folder", () => {
    expect(
      violations(
        (from, to) =>
          labOf(from) !== undefined && labOf(to) !== undefined && labOf(from) !== labOf(to),
      ),
    ).toEqual([]);
  });

  it("keeps the host layer below the runtime and the fault network", () => {
    expect(
      violations(
        (from, to) =>
          from.startsWith("src/host/") &&
          (to.startsWith("src/runtime/") || to.startsWith("src/net/")),
      ),
    ).toEqual([]);
    expect(
      violations((from, to) => from.startsWith("src/net/") && to.startsWith("src/runtime/")),
    ).toEqual([]);
  });

  it("has no cycle of value imports", () => {
    expect(valueCycles()).toEqual([]);
  });
});
