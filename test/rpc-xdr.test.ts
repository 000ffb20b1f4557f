import { describe, expect, it } from "vitest";
import { XdrError, XdrReader, XdrWriter } from "../src/rpc/xdr.ts";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("XdrWriter and XdrReader", () => {
  it("round-trips every primitive with RFC 4506 byte layouts", () => {
    const bytes = new XdrWriter()
      .int(-2)
      .uint(0xfffffffe)
      .hyper(-3n)
      .uhyper(0x0102030405060708n)
      .bool(true)
      .enum(5)
      .fixedOpaque(Buffer.from([1, 2, 3]), 3)
      .varOpaque(Buffer.from([9]))
      .string("abcde", 8)
      .toBuffer();
    expect(bytes.toString("hex")).toBe(
      "fffffffe" +
        "fffffffe" +
        "fffffffffffffffd" +
        "0102030405060708" +
        "00000001" +
        "00000005" +
        "01020300" +
        "0000000109000000" +
        "000000056162636465000000",
    );
    const reader = new XdrReader(bytes);
    expect(reader.int("i")).toBe(-2);
    expect(reader.uint("u")).toBe(0xfffffffe);
    expect(reader.hyper("h")).toBe(-3n);
    expect(reader.uhyper("uh")).toBe(0x0102030405060708n);
    expect(reader.bool("b")).toBe(true);
    expect(reader.enum("e", ["a", "b", "c", "d", "e", "f"])).toBe("f");
    expect([...reader.fixedOpaque(3, "fo")]).toEqual([1, 2, 3]);
    expect([...reader.varOpaque("vo")]).toEqual([9]);
    expect(reader.string("s", 8)).toBe("abcde");
    expect(reader.remaining).toBe(0);
    expect(() => reader.end("all")).not.toThrow();
  });

  it("decodes from an offset and reports the bytes it used", () => {
    const buf = Buffer.concat([hex("deadbeef"), hex("00000002 6869 0000"), hex("0000002a")]);
    const reader = new XdrReader(buf, 4);
    expect(reader.string("s")).toBe("hi");
    expect(reader.consumed).toBe(8);
    expect(reader.offset).toBe(12);
    expect(reader.uint("n")).toBe(42);
    expect(reader.consumed).toBe(12);
  });

  it("keeps non-ASCII bytes one-to-one in strings", () => {
    const bytes = hex("00000002 ff80 0000");
    const value = new XdrReader(bytes).string("s");
    expect(new XdrWriter().string(value).toBuffer()).toEqual(bytes);
    expect(() => new XdrWriter().string("é€")).toThrow(/does not fit in one byte/);
  });

  it("names the field on truncated input", () => {
    expect(() => new XdrReader(hex("0000")).uint("xid")).toThrow(/xid: incomplete XDR data/);
    expect(() => new XdrReader(hex("00000008 616263")).string("key")).toThrow(/key: incomplete/);
    expect(() => new XdrReader(hex("00000001")).uhyper("cookie")).toThrow(XdrError);
  });

  it("rejects non-zero padding, over-long lengths and bad discriminants", () => {
    expect(() => new XdrReader(hex("00000001 41000100")).string("s")).toThrow(/padding/);
    expect(() => new XdrReader(hex("01020301")).fixedOpaque(3, "o")).toThrow(/padding/);
    expect(() => new XdrReader(hex("00000003 41424300")).string("key", 2)).toThrow(
      /key: length 3 exceeds the maximum 2/,
    );
    expect(() => new XdrReader(hex("fffffff0 00000000")).varOpaque("o")).toThrow(/incomplete/);
    expect(() => new XdrReader(hex("00000002")).bool("flag")).toThrow(/flag: invalid bool 2/);
    expect(() => new XdrReader(hex("00000007")).enum("stat", ["A", "B"])).toThrow(
      /stat: unknown enum value 7 \(expected 0..1: A, B\)/,
    );
    expect(() => new XdrReader(hex("ffffffff")).enum("stat", ["A"])).toThrow(
      /unknown enum value -1/,
    );
  });

  it("reports trailing bytes and refuses out-of-range writes", () => {
    const reader = new XdrReader(hex("00000001 00000002"));
    reader.uint("a");
    expect(() => reader.end("thing")).toThrow(/thing: 4 trailing byte/);
    expect(() => new XdrWriter().uint(-1)).toThrow(XdrError);
    expect(() => new XdrWriter().int(2 ** 31)).toThrow(XdrError);
    expect(() => new XdrWriter().uint(1.5)).toThrow(/unsigned int: 1.5 is not an integer/);
    expect(() => new XdrWriter().uhyper(2n ** 64n)).toThrow(
      /unsigned hyper: 18446744073709551616 is outside/,
    );
    expect(() => new XdrWriter().hyper(2n ** 63n)).toThrow(/hyper: 9223372036854775808 is outside/);
    expect(() => new XdrWriter().string("abc", 2, "key")).toThrow(
      /key: 3 bytes exceed the maximum 2/,
    );
    expect(() => new XdrWriter().fixedOpaque(Buffer.alloc(2), 3)).toThrow(/exactly 3/);
    expect(() => new XdrReader(Buffer.alloc(4), 5)).toThrow(/outside a 4-byte buffer/);
  });
});
