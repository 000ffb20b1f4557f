/** A lab name from a file or the command line finds a lab of dslab's own, never a prototype's. */
import { describe, expect, it } from "vitest";
import { isKvCall } from "../src/kv/kv-types.ts";
import { findLab } from "../src/lab/registry.ts";

describe("lookups keyed by outside names", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("refuses lab %s", (name) => {
    expect(() => findLab(name)).toThrow(/unknown lab/);
  });

  it("finds the labs it has", () => {
    expect(findLab("rpc").name).toBe("rpc");
  });

  it("does not take a prototype's key for a lab 1 procedure", () => {
    expect(isKvCall({ proc: "constructor" } as never)).toBe(false);
    expect(isKvCall({ proc: "GET", key: "/a" } as never)).toBe(true);
  });
});
