// The one hex codec every room uses: round trips, either case in, refusal of anything not whole bytes of hex.

import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../workers/core/bytes";

describe("toHex and fromHex", () => {
  it("round-trips every byte value, from arrays and buffers", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hex = toHex(all);
    expect(hex).toBe([...all].map((b) => b.toString(16).padStart(2, "0")).join(""));
    expect(fromHex(hex)).toEqual(all);
    expect(toHex(all.buffer)).toBe(hex);
    expect(toHex(all.subarray(250))).toBe("fafbfcfdfeff");
    expect(fromHex("ABcdEF")).toEqual(new Uint8Array([0xab, 0xcd, 0xef]));
    expect(fromHex("")).toEqual(new Uint8Array(0));
  });

  it("refuses odd lengths and characters that are not hex", () => {
    for (const bad of ["abc", "zz", "0g", "+1", " 0", "é0", "0x"]) expect(() => fromHex(bad), bad).toThrow(/not hex/);
  });
});
