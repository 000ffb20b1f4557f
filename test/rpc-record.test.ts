import { describe, expect, it } from "vitest";
import {
  type DecodedRecord,
  encodeFragmentHeader,
  encodeRecord,
  RecordDecoder,
} from "../src/rpc/record.ts";

function pushAll(decoder: RecordDecoder, chunks: Uint8Array[]): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  for (const chunk of chunks) {
    const result = decoder.push(chunk);
    expect(result.error).toBeUndefined();
    records.push(...result.records);
  }
  return records;
}

function bytesOf(buf: Buffer): Buffer[] {
  return [...buf].map((byte) => Buffer.from([byte]));
}

describe("record marking", () => {
  it("encodes one fragment with the last-fragment bit", () => {
    expect(encodeRecord(Buffer.from("abcd")).toString("hex")).toBe("8000000461626364");
  });

  it("splits into the given fragment sizes, zero-size fragments included", () => {
    const wire = encodeRecord(Buffer.from("abcdef"), [2, 0, 4]);
    expect(wire.toString("hex")).toBe(`000000026162${"00000000"}80000004${"63646566"}`);
    expect(() => encodeRecord(Buffer.from("abc"), [1, 1])).toThrow(
      /add up to the payload length 3/,
    );
    expect(() => encodeFragmentHeader(2 ** 31, true)).toThrow(RangeError);
  });

  it("reassembles records delivered one byte at a time", () => {
    const a = Buffer.from("first record!");
    const b = Buffer.from("second, in three fragments");
    const wire = Buffer.concat([encodeRecord(a), encodeRecord(b, [5, 0, b.length - 5])]);
    const decoder = new RecordDecoder();
    const records = pushAll(decoder, bytesOf(wire));
    expect(records.map((r) => r.payload.toString())).toEqual([a.toString(), b.toString()]);
    expect(records.map((r) => r.fragments)).toEqual([1, 3]);
    expect(records[1]?.wireBytes).toBe(b.length + 12);
    expect(decoder.pendingBytes).toBe(0);
  });

  it("yields several records from one chunk, including empty records", () => {
    const wire = Buffer.concat([encodeRecord(Buffer.alloc(0)), encodeRecord(Buffer.from("xy"))]);
    const records = pushAll(new RecordDecoder(), [wire]);
    expect(records.map((r) => r.payload.toString())).toEqual(["", "xy"]);
  });

  it("counts the bytes of an unfinished record", () => {
    const decoder = new RecordDecoder();
    pushAll(decoder, [encodeRecord(Buffer.from("abcdefgh")).subarray(0, 7)]);
    expect(decoder.pendingBytes).toBe(7);
  });

  it("refuses a record over the limit as soon as its header arrives", () => {
    const decoder = new RecordDecoder({ maxRecordBytes: 10 });
    const first = decoder.push(encodeFragmentHeader(6, false));
    expect(first.error).toBeUndefined();
    const second = decoder.push(Buffer.concat([Buffer.alloc(6), encodeFragmentHeader(5, true)]));
    expect(second.error).toMatch(/fragment 2 declares 5 bytes, taking the record to 11 bytes/);
    expect(decoder.push(encodeRecord(Buffer.from("ok"))).records).toEqual([]);
    expect(decoder.error).toBe(second.error);
  });

  it("refuses a 2 GiB record length with the default limit", () => {
    const result = new RecordDecoder().push(Buffer.from("ffffffff", "hex"));
    expect(result.error).toMatch(/declares 2147483647 bytes.*16777216-byte limit.*0xffffffff/);
  });
});
