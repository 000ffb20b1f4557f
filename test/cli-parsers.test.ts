/** The command line's seed and number parsers, and the labs it knows (those in labs/). */
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { decimalNumber, wholeNumber } from "../src/cli/parse-number.ts";
import { checkSeedRange, MAX_SEED, parseRunCount, parseSeed, randomSeed } from "../src/cli/seed.ts";
import { knownLabs, LabLookupError, loadLabDefinition } from "../src/lab/definition.ts";
import { UsageError } from "../src/lab/usage-error.ts";

describe("seeds", () => {
  it.each([
    ["0", 0],
    ["17", 17],
    ["2147483647", MAX_SEED],
  ])("parseSeed(%j) is %d", (text, seed) => {
    expect(parseSeed(text)).toBe(seed);
  });

  it.each(["", " ", "0x10", "1e3", "-1", "1.5", "2147483648", "Infinity", "NaN", " 7"])(
    "parseSeed(%j) is refused as a usage error",
    (text) => {
      expect(() => parseSeed(text)).toThrow(InvalidArgumentError);
      expect(() => parseSeed(text)).toThrow(/a seed is a whole number from 0 to 2147483647/);
    },
  );

  it.each(["0", "0.4", "1.6", "1e9", "1001", "-2", ""])("parseRunCount(%j) is refused", (text) => {
    expect(() => parseRunCount(text)).toThrow(/whole number from 1 to 1000/);
  });

  it("a run count from 1 to 1000 is taken as is", () => {
    expect(parseRunCount("1")).toBe(1);
    expect(parseRunCount("1000")).toBe(1000);
  });

  it("the last seed of a run must stay in range", () => {
    expect(() => checkSeedRange(MAX_SEED, 1)).not.toThrow();
    expect(() => checkSeedRange(MAX_SEED - 9, 10)).not.toThrow();
    expect(() => checkSeedRange(MAX_SEED, 2)).toThrow(UsageError);
    expect(() => checkSeedRange(MAX_SEED - 8, 10)).toThrow(
      /use --seed 2147483638 or less, or fewer runs/,
    );
  });

  it("a random first seed leaves room for the most runs", () => {
    for (let i = 0; i < 1000; i++) {
      const seed = randomSeed();
      expect(Number.isInteger(seed) && seed >= 0).toBe(true);
      expect(() => checkSeedRange(seed, 1000)).not.toThrow();
    }
  });
});

describe("numbers", () => {
  const scale = decimalNumber(0.1, 100, "a time scale");
  it.each(["0", "-1", "NaN", "Infinity", "1e2", "0x10", "", "100.5", "0.05"])(
    "a decimal number refuses %j",
    (text) => {
      expect(() => scale(text)).toThrow(/a time scale is a number from 0.1 to 100/);
    },
  );

  it("a decimal number takes plain decimals in range", () => {
    expect(scale("0.5")).toBe(0.5);
    expect(scale(".5")).toBe(0.5);
    expect(scale("100")).toBe(100);
  });

  it("a whole number refuses fractions instead of rounding them", () => {
    const jobs = wholeNumber(1, 64, "a number of jobs");
    expect(() => jobs("0.4")).toThrow(/a number of jobs is a whole number from 1 to 64/);
    expect(jobs("4")).toBe(4);
  });
});

describe("labs", () => {
  it("are the folders of labs/", () => {
    expect(knownLabs()).toEqual(["consensus", "counter", "kvr", "rpc"]);
  });

  it("an unknown lab is a lookup error listing them", async () => {
    const loading = loadLabDefinition("paxos");
    await expect(loading).rejects.toThrow(LabLookupError);
    await expect(loadLabDefinition("paxos")).rejects.toThrow(
      /known labs: consensus, counter, kvr, rpc$/,
    );
  });
});
