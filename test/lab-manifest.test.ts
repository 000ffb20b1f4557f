import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifest, ManifestError, resolveRunArgv } from "../src/lab/manifest.ts";

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "dslab-manifest-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh submission directory holding `contents` as dslab.json (raw text when a string). */
async function submission(contents?: unknown): Promise<string> {
  counter += 1;
  const dir = path.join(root, `s${counter}`);
  await mkdir(dir);
  if (contents !== undefined) {
    const text = typeof contents === "string" ? contents : JSON.stringify(contents);
    await writeFile(path.join(dir, "dslab.json"), text);
  }
  return dir;
}

async function manifestError(dir: string): Promise<ManifestError> {
  const error = await loadManifest(dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ManifestError);
  return error as ManifestError;
}

describe("loadManifest", () => {
  it("returns a valid manifest as written", async () => {
    const dir = await submission({ lab: "rpc", build: "make", run: ["./server", "--quiet"] });
    expect(await loadManifest(dir)).toEqual({
      lab: "rpc",
      build: "make",
      run: ["./server", "--quiet"],
    });
  });

  it("accepts a manifest without build, for the consensus lab", async () => {
    const dir = await submission({ lab: "consensus", run: ["python3", "node.py"] });
    expect(await loadManifest(dir)).toEqual({ lab: "consensus", run: ["python3", "node.py"] });
  });

  it("names a missing submission directory", async () => {
    const missing = path.join(root, "no-such-dir");
    const error = await manifestError(missing);
    expect(error.message).toContain(missing);
    expect(error.message).toContain("does not exist");
    expect(error.message).toContain("dslab test rpc");
  });

  it("refuses a file given as the submission directory", async () => {
    const dir = await submission({ lab: "rpc", run: ["./server"] });
    const error = await manifestError(path.join(dir, "dslab.json"));
    expect(error.message).toContain("not a submission directory");
  });

  it("says when dslab.json is absent and shows an example", async () => {
    const dir = await submission();
    const error = await manifestError(dir);
    expect(error.file).toBe(path.join(dir, "dslab.json"));
    expect(error.message).toContain("not found");
    expect(error.message).toContain('{"lab": "rpc", "build": "make", "run": ["./server"]}');
  });

  it("gives the line and column of a JSON syntax error", async () => {
    const dir = await submission('{\n  "lab": "rpc",\n  "run": ["./server"],\n}\n');
    const error = await manifestError(dir);
    expect(error.message).toContain("is not valid JSON");
    expect(error.message).toContain("line 4, column 1");
    expect(error.message).toContain("none after the last");
  });

  it("reports truncated JSON at its end", async () => {
    const dir = await submission('{"lab": "rpc",\n"run": ["./server"]');
    const error = await manifestError(dir);
    expect(error.message).toMatch(/not valid JSON: .* at line 2, column 20/);
  });

  it("reports an empty file", async () => {
    const error = await manifestError(await submission(" \n"));
    expect(error.problems).toEqual(["is empty."]);
  });

  it("lists every unknown field by name", async () => {
    const dir = await submission({ lab: "rpc", run: ["./server"], bulid: "make", imgae: "x" });
    const error = await manifestError(dir);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain('unknown fields "bulid", "imgae"');
    expect(error.problems[0]).toContain('"lab", "build", "run"');
  });

  it("names a missing required field and what it must hold", async () => {
    const error = await manifestError(await submission({ lab: "rpc" }));
    expect(error.problems).toEqual([
      'missing the required field "run": it must be a non-empty array of strings such as ["./server"] or ["python3", "server.py"].',
    ]);
  });

  it("explains a wrong type with the value found", async () => {
    const error = await manifestError(await submission({ lab: "rpc", run: "./server" }));
    expect(error.problems).toEqual([
      '"run" must be a non-empty array of strings such as ["./server"] or ["python3", "server.py"], but it is the string "./server".',
    ]);
  });

  it("rejects an unknown lab, an empty run, an empty build and a non-string argument", async () => {
    const labError = await manifestError(await submission({ lab: "rcp", run: ["./s"] }));
    expect(labError.problems).toEqual([
      '"lab" must be one of "consensus", "counter", "kvr", "rpc", but it is the string "rcp".',
    ]);

    const runError = await manifestError(await submission({ lab: "rpc", run: [] }));
    expect(runError.problems[0]).toContain("but it is an empty array");

    const buildError = await manifestError(
      await submission({ lab: "rpc", build: "", run: ["./s"] }),
    );
    expect(buildError.problems[0]).toContain('"build" must be a non-empty shell command');

    const argError = await manifestError(await submission({ lab: "rpc", run: ["./s", 8080] }));
    expect(argError.problems).toEqual([
      "run[1] must be a non-empty string, but it is the number 8080.",
    ]);
  });

  it("reports several problems at once", async () => {
    const error = await manifestError(await submission({ labb: "rpc", run: [""] }));
    expect(error.problems).toHaveLength(3);
    expect(error.message).toContain('unknown field "labb"');
    expect(error.message).toContain('missing the required field "lab"');
    expect(error.message).toContain("run[0] must be a non-empty string, but it is an empty string");
  });

  it("rejects a file that is not a JSON object", async () => {
    const error = await manifestError(await submission('["./server"]'));
    expect(error.problems[0]).toContain("must contain one JSON object");
    expect(error.problems[0]).toContain("but it contains an array");
  });
});

describe("resolveRunArgv", () => {
  it("resolves an argv[0] containing a slash against the submission directory", () => {
    expect(resolveRunArgv({ lab: "rpc", run: ["./build/server", "-v"] }, "/subs/alice")).toEqual([
      "/subs/alice/build/server",
      "-v",
    ]);
  });

  it("leaves a bare program name for PATH lookup", () => {
    expect(resolveRunArgv({ lab: "rpc", run: ["python3", "./server.py"] }, "/subs/alice")).toEqual([
      "python3",
      "./server.py",
    ]);
  });
});
