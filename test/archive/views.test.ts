// Dates as the read API writes them: git's raw offsets kept, and dates no calendar can write answered as null.

import { describe, expect, it } from "vitest";
import { isoDate } from "../../workers/archive/api/views";

describe("isoDate", () => {
  it("writes the author's local time with the offset git recorded", () => {
    expect(isoDate({ seconds: 1500000000, microseconds: 0, offsetBytes: "+0530" })).toBe("2017-07-14T08:10:00+05:30");
    expect(isoDate({ seconds: 1500000100, microseconds: 0, offsetBytes: "-0000" })).toBe("2017-07-14T02:41:40+00:00");
    expect(isoDate({ seconds: 0, microseconds: 12, offsetBytes: "-0100" })).toBe("1969-12-31T23:00:00.000012-01:00");
  });

  it("answers null for dates git accepts but no ISO calendar year can hold", () => {
    for (const seconds of [9e15, -9e15, 253402300800 /* year 10000 */, -62167219201 /* before year 0 */])
      expect(isoDate({ seconds, microseconds: 0, offsetBytes: "+0000" }), String(seconds)).toBeNull();
  });
});
