// The recurrent-visit policy, after Software Heritage's origin-visit scheduler: how far apart visits of an
// origin are, how that adapts to what each visit found, when an origin is given up on, and which are due.
// Plain functions over plain data; scheduler-table.ts applies them to D1.

export const DAY_MS = 86_400_000;
export const MAX_OFFSET = 10;
export const JITTER = 0.1;
/** Failed or not-found visits in a row before an origin is disabled (until it is seen again). */
export const MAX_FAILURES = 3;
export const DEFAULT_BUDGET = 20;

export type VisitOutcome = "eventful" | "uneventful" | "failed" | "not_found";

/** One origin's row of `archive_schedule` (schema/archive.ts). */
export interface OriginSchedule {
  originId: string;
  url: string;
  /** 0..10: each eventful visit brings visits closer (−2), each uneventful one spaces them (+1). */
  intervalOffset: number;
  nextVisitAt: number;
  /** Failed or not-found visits in a row. */
  failures: number;
  /** After 3 failures in a row, until the origin is seen again. */
  disabled: boolean;
  /** The job of the visit queued or running, if any: the scheduler never enqueues a second one. */
  runningJobId: string | null;
  lastVisitAt: number | null;
  lastSeenAt: number | null;
  updatedAt: number;
}

/** Days between visits at an offset: 1 day at 0–1, 2 days at 2–4, then 4^(offset−4) days. */
export function intervalDays(offset: number): number {
  const o = clampOffset(offset);
  if (o <= 1) return 1;
  if (o <= 4) return 2;
  return 4 ** (o - 4);
}

export function clampOffset(offset: number): number {
  if (!Number.isFinite(offset)) return 0;
  return Math.max(0, Math.min(MAX_OFFSET, Math.trunc(offset)));
}

/** The interval with ±10% jitter; `random` in [0, 1) so that tests can pin it. */
export function jitteredInterval(offset: number, random: number): number {
  const base = intervalDays(offset) * DAY_MS;
  const factor = 1 - JITTER + 2 * JITTER * Math.min(Math.max(random, 0), 1);
  return Math.round(base * factor);
}

/** A new origin is due at once. */
export function newSchedule(originId: string, url: string, now: number): OriginSchedule {
  return {
    originId,
    url,
    intervalOffset: 0,
    nextVisitAt: now,
    failures: 0,
    disabled: false,
    runningJobId: null,
    lastVisitAt: null,
    lastSeenAt: now,
    updatedAt: now,
  };
}

/**
 * What a finished visit does to the origin's schedule. Eventful and uneventful visits move the offset
 * and reset the failure count; a failed or not-found visit keeps the offset and counts a failure, and the
 * third in a row disables the origin.
 */
export function afterVisit(s: OriginSchedule, outcome: VisitOutcome, now: number, random: number): OriginSchedule {
  const next: OriginSchedule = { ...s, runningJobId: null, lastVisitAt: now, updatedAt: now };
  if (outcome === "eventful" || outcome === "uneventful") {
    next.intervalOffset = clampOffset(s.intervalOffset + (outcome === "eventful" ? -2 : 1));
    next.failures = 0;
  } else {
    next.failures = s.failures + 1;
    if (next.failures >= MAX_FAILURES) next.disabled = true;
  }
  next.nextVisitAt = now + jitteredInterval(next.intervalOffset, random);
  return next;
}

/** The origin was seen again (a webhook, a lister, the API): a disabled origin comes back, due now. */
export function seenAgain(s: OriginSchedule, now: number): OriginSchedule {
  if (!s.disabled) return { ...s, lastSeenAt: now, updatedAt: now };
  return {
    ...s,
    disabled: false,
    failures: 0,
    nextVisitAt: Math.min(s.nextVisitAt, now),
    lastSeenAt: now,
    updatedAt: now,
  };
}

/** A visit was queued for the origin. */
export function visitQueued(s: OriginSchedule, jobId: string, now: number): OriginSchedule {
  return { ...s, runningJobId: jobId, updatedAt: now };
}

/**
 * The origins to enqueue now: enabled, due, without a visit queued or running; oldest lag first;
 * never more than `budget`.
 */
export function dueOrigins(schedules: readonly OriginSchedule[], now: number, budget: number): OriginSchedule[] {
  return schedules
    .filter((s) => !s.disabled && s.runningJobId === null && s.nextVisitAt <= now)
    .sort((a, b) => a.nextVisitAt - b.nextVisitAt || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
    .slice(0, Math.max(0, Math.trunc(budget)));
}

/** ARCHIVE_SCHEDULER_BUDGET: a positive integer (default 20); anything else falls back to the default. */
export function budgetOf(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isInteger(n) && n > 0 ? n : DEFAULT_BUDGET;
}
