/**
 * Commander parsers for numeric options. Only plain decimal text is a number here: Number()
 * would also take "", "0x10" and "1e9", which a user never means as an option value.
 */
import { InvalidArgumentError } from "commander";

const WHOLE = /^\d+$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/** A parser of whole numbers from min to max; `what` names the value in the error. */
export function wholeNumber(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const number = WHOLE.test(value) ? Number(value) : Number.NaN;
    if (!(number >= min && number <= max)) {
      throw new InvalidArgumentError(
        `${what} is a whole number from ${min} to ${max}, in decimal digits`,
      );
    }
    return number;
  };
}

/** A parser of decimal numbers (e.g. 0.5) from min to max; `what` names the value in the error. */
export function decimalNumber(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const number = DECIMAL.test(value) ? Number(value) : Number.NaN;
    if (!(number >= min && number <= max)) {
      throw new InvalidArgumentError(`${what} is a number from ${min} to ${max}`);
    }
    return number;
  };
}

/** Durations in seconds (--budget, --timeout): Node's timers hold up to 24 days, a week is plenty. */
export const parseSeconds = decimalNumber(1, 7 * 24 * 3600, "a duration in seconds");

export const parseTimeScale = decimalNumber(0.1, 100, "a time scale");

const AGE = /^(\d+)([dhm])$/;
const AGE_UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** An age such as 7d, 12h or 30m (dslab clean --older-than), in milliseconds. */
export function parseAge(value: string): number {
  const match = AGE.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      `"${value}" is not an age: write a whole number and a unit, d (days), h (hours) or m (minutes), e.g. 7d, 12h or 30m`,
    );
  }
  return Number(match[1]) * AGE_UNIT_MS[match[2] as keyof typeof AGE_UNIT_MS];
}
