import { describe, expect, it } from "vitest";
import { minimizeFailing } from "../src/shrink/minimize.ts";

/** A failure that needs faults 3 and 7 together: the smallest failing schedule is [3, 7]. */
const needs = (required: number[]) => async (subset: number[]) =>
  required.every((item) => subset.includes(item));

describe("minimizeFailing (ddmin over a fault schedule)", () => {
  it("finds the two faults a failure needs among twelve", async () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    const result = await minimizeFailing(items, { stillFails: needs([3, 7]), maxRuns: 100 });
    expect(result.minimal).toEqual([3, 7]);
    expect(result.complete).toBe(true);
    expect(result.runs).toBeLessThan(60);
  });

  it("returns the empty schedule when the failure needs no fault at all", async () => {
    const result = await minimizeFailing([1, 2, 3], { stillFails: needs([]), maxRuns: 10 });
    expect(result).toEqual({ minimal: [], runs: 1, complete: true });
  });

  it("keeps everything when only the whole schedule fails", async () => {
    const items = [1, 2, 3, 4];
    const result = await minimizeFailing(items, { stillFails: needs(items), maxRuns: 100 });
    expect(result.minimal).toEqual(items);
    expect(result.complete).toBe(true);
  });

  it("stops at the run budget with the smallest failing schedule found so far", async () => {
    const items = Array.from({ length: 32 }, (_, i) => i);
    const result = await minimizeFailing(items, { stillFails: needs([5]), maxRuns: 4 });
    expect(result.runs).toBe(4);
    expect(result.minimal).toContain(5);
    expect(result.minimal.length).toBeLessThan(32);
  });
});
