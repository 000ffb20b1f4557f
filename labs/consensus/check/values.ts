/**
 * Slots and values as the checkers compare them. Calls carry slots as decimal strings and
 * decide lines as JSON numbers; both become one canonical decimal key. Values are standard
 * padded base64 everywhere; the trace may compact long ones (compact-values.ts), so every
 * value is compared through the same compaction, which is the identity for short ones.
 */
import { compactValue } from "../../../src/trace/compact-values.ts";

/** "0042" and 42 are both slot "42"; undefined when it is no unsigned integer. */
export function slotKey(slot: unknown): string | undefined {
  if (typeof slot === "number") {
    return Number.isSafeInteger(slot) && slot >= 0 ? String(slot) : undefined;
  }
  if (typeof slot === "string" && /^[0-9]{1,20}$/.test(slot)) return BigInt(slot).toString();
  return undefined;
}

const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 4648 section 4 with padding, canonical (unused bits zero, as every encoder writes). */
export function isPaddedBase64(value: string): boolean {
  return PADDED_BASE64.test(value) && Buffer.from(value, "base64").toString("base64") === value;
}

/** The form two values are compared in. */
export const valueKey = (value: string): string => compactValue(value);

const MAX_SHOWN = 24;

/** A value for messages: its base64, cut short, plus the text when it is printable. */
export function showValue(value: string): string {
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value;
  if (!isPaddedBase64(value)) return JSON.stringify(shown);
  const text = Buffer.from(value, "base64").toString("latin1");
  const printable = /^[\x20-\x7e]{1,40}$/.test(text);
  return printable ? `"${shown}" (${JSON.stringify(text)})` : `"${shown}"`;
}
