// The recurrent-visit policy: intervals per offset, jitter, how visits move the offset, disabling after
// three failures, and which origins a cron tick enqueues.

import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  afterVisit,
  budgetOf,
  dueOrigins,
  intervalDays,
  jitteredInterval,
  newSchedule,
  seenAgain,
  visitQueued,
  type OriginSchedule,
} from "../../workers/archive/scheduler";

const T0 = Date.UTC(2026, 0, 1);

function origin(n: number, patch: Partial<OriginSchedule> = {}): OriginSchedule {
  return { ...newSchedule(`id${n}`, `https://git.example/o/${n}`, T0), ...patch };
}

describe("intervals", () => {
  it("is 1 day at offsets 0–1, 2 days at 2–4, 4^(offset−4) days from 5", () => {
    const expected = [1, 1, 2, 2, 2, 4, 16, 64, 256, 1024, 4096];
    expect(expected.map((_, o) => intervalDays(o))).toEqual(expected);
  });

  it("clamps offsets outside 0..10", () => {
    expect(intervalDays(-3)).toBe(1);
    expect(intervalDays(42)).toBe(4096);
    expect(intervalDays(Number.NaN)).toBe(1);
  });

  it("jitters by at most ±10%, spanning the whole range", () => {
    for (const o of [0, 3, 7]) {
      const base = intervalDays(o) * DAY_MS;
      expect(jitteredInterval(o, 0)).toBe(Math.round(base * 0.9));
      expect(jitteredInterval(o, 0.5)).toBe(base);
      expect(jitteredInterval(o, 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.1));
      expect(jitteredInterval(o, 0.999999)).toBeGreaterThan(Math.round(base * 1.09));
      for (let i = 0; i < 50; i++) {
        const v = jitteredInterval(o, Math.random());
        expect(v).toBeGreaterThanOrEqual(Math.round(base * 0.9));
        expect(v).toBeLessThanOrEqual(Math.round(base * 1.1));
      }
    }
  });
});

describe("after a visit", () => {
  it("an eventful visit brings the offset down by 2 (not below 0), an uneventful one up by 1 (not above 10)", () => {
    const s = origin(1, { intervalOffset: 5 });
    expect(afterVisit(s, "eventful", T0, 0.5).intervalOffset).toBe(3);
    expect(afterVisit(origin(1, { intervalOffset: 1 }), "eventful", T0, 0.5).intervalOffset).toBe(0);
    expect(afterVisit(s, "uneventful", T0, 0.5).intervalOffset).toBe(6);
    expect(afterVisit(origin(1, { intervalOffset: 10 }), "uneventful", T0, 0.5).intervalOffset).toBe(10);
  });

  it("schedules the next visit one jittered interval of the new offset later, and frees the origin", () => {
    const s = visitQueued(origin(2, { intervalOffset: 4 }), "job-1", T0);
    const after = afterVisit(s, "uneventful", T0 + 1000, 0.5);
    expect(after.nextVisitAt).toBe(T0 + 1000 + 4 * DAY_MS);
    expect(after.runningJobId).toBeNull();
    expect(after.lastVisitAt).toBe(T0 + 1000);
  });

  it("three failed or not-found visits in a row disable the origin; a success in between resets the count", () => {
    let s = origin(3, { intervalOffset: 2 });
    s = afterVisit(s, "failed", T0, 0.5);
    s = afterVisit(s, "not_found", T0, 0.5);
    expect(s.disabled).toBe(false);
    expect(s.failures).toBe(2);
    expect(s.intervalOffset).toBe(2);
    const reset = afterVisit(s, "uneventful", T0, 0.5);
    expect(reset.failures).toBe(0);
    s = afterVisit(s, "failed", T0, 0.5);
    expect(s.failures).toBe(3);
    expect(s.disabled).toBe(true);
  });

  it("a disabled origin comes back, due now, when it is seen again", () => {
    let s = origin(4);
    for (let i = 0; i < 3; i++) s = afterVisit(s, "failed", T0, 0.5);
    expect(dueOrigins([s], T0 + 30 * DAY_MS, 10)).toEqual([]);
    const back = seenAgain(s, T0 + 5000);
    expect(back.disabled).toBe(false);
    expect(back.failures).toBe(0);
    expect(back.nextVisitAt).toBe(T0 + 5000);
    expect(dueOrigins([back], T0 + 5000, 10)).toEqual([back]);
    // Seeing an enabled origin changes nothing but when it was seen.
    const seen = seenAgain(back, T0 + 9000);
    expect({ ...seen, lastSeenAt: 0, updatedAt: 0 }).toEqual({ ...back, lastSeenAt: 0, updatedAt: 0 });
  });
});

describe("due origins", () => {
  it("takes due origins only, oldest lag first, at most the budget, never one with a visit running or disabled", () => {
    const now = T0 + 10 * DAY_MS;
    const all = [
      origin(1, { nextVisitAt: now - 1 * DAY_MS }),
      origin(2, { nextVisitAt: now - 5 * DAY_MS }),
      origin(3, { nextVisitAt: now + 1 }), // not due yet
      origin(4, { nextVisitAt: now - 9 * DAY_MS, runningJobId: "job-4" }), // running
      origin(5, { nextVisitAt: now - 7 * DAY_MS, disabled: true }),
      origin(6, { nextVisitAt: now - 3 * DAY_MS }),
      origin(7, { nextVisitAt: now }),
    ];
    expect(dueOrigins(all, now, 10).map((s) => s.originId)).toEqual(["id2", "id6", "id1", "id7"]);
    expect(dueOrigins(all, now, 2).map((s) => s.originId)).toEqual(["id2", "id6"]);
    expect(dueOrigins(all, now, 0)).toEqual([]);
  });

  it("reads the budget from ARCHIVE_SCHEDULER_BUDGET, defaulting to 20 on anything but a positive integer", () => {
    expect(budgetOf(undefined)).toBe(20);
    expect(budgetOf("5")).toBe(5);
    for (const bad of ["", "0", "-3", "2.5", "many"]) expect(budgetOf(bad)).toBe(20);
  });
});
