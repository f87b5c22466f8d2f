// The scheduler at the edge: archive_schedule rows in D1, what a visit's start and end do to them, and the
// cron tick that enqueues due visits (never past the budget, never twice for one origin).

import { drizzle } from "drizzle-orm/d1";
import { and, asc, eq, isNull, isNotNull, lte, sql } from "drizzle-orm";
import { archiveSchedule, archiveVisits, jobs } from "../../schema";
import { remote } from "../core/remote";
import { messageOf } from "../core/errors";
import { parseRepoUrl } from "../core/repo-url";
import type { Env } from "../env";
import type { RepoObject } from "../../durable-objects/repo";
import { originId } from "./hashes";
import {
  afterVisit,
  budgetOf,
  dueOrigins,
  newSchedule,
  seenAgain,
  type OriginSchedule,
  type VisitOutcome,
} from "./scheduler";
import { plannedVisit } from "./plan";
import type { SettledJob } from "../core/machine";

export type SchedulerEnv = Pick<Env, "DB" | "REPO" | "ARCHIVE_SCHEDULER_BUDGET">;

/** A cron claim that never became a job (the tick died) is released after this long. */
const CLAIM_TIMEOUT_MS = 10 * 60_000;
/** Schedules with a job checked per tick for a job that ended without telling the scheduler. */
const RECONCILE_BATCH = 200;

const db = (env: { DB: D1Database }) => drizzle(env.DB);

export async function getSchedule(env: { DB: D1Database }, url: string): Promise<OriginSchedule | null> {
  const row = (
    await db(env)
      .select()
      .from(archiveSchedule)
      .where(eq(archiveSchedule.originId, originId(url)))
      .limit(1)
  )[0];
  return row ?? null;
}

async function saveSchedule(env: { DB: D1Database }, s: OriginSchedule): Promise<void> {
  const { originId: id, ...rest } = s;
  await db(env).insert(archiveSchedule).values(s).onConflictDoUpdate({ target: archiveSchedule.originId, set: rest });
}

/**
 * A visit starts: the origin gets a schedule (if it is recurrent) and is marked as running. A webhook or an
 * API request counts as seeing the origin again, which brings a disabled origin back.
 */
export async function visitStarted(
  env: { DB: D1Database },
  input: { origin: string; trigger: string; recurrent?: boolean },
  jobId: string,
  now: number,
): Promise<void> {
  let s = await getSchedule(env, input.origin);
  // A repo configured `recurrent: false` leaves the scheduler: its schedule, if it had one, is dropped.
  if (input.recurrent === false) {
    if (s) await db(env).delete(archiveSchedule).where(eq(archiveSchedule.originId, s.originId));
    return;
  }
  if (!s) {
    s = newSchedule(originId(input.origin), input.origin, now);
  } else if (input.trigger !== "scheduler") {
    s = seenAgain(s, now);
  }
  await saveSchedule(env, { ...s, runningJobId: jobId, updatedAt: now });
}

/** A visit ended: the next one is scheduled from what it found. */
export async function recordVisitOutcome(
  env: { DB: D1Database },
  input: { origin: string },
  outcome: VisitOutcome,
  now: number,
): Promise<void> {
  const s = await getSchedule(env, input.origin);
  if (s) await saveSchedule(env, afterVisit(s, outcome, now, Math.random()));
}

/** The origin was seen (webhook, API): a disabled origin becomes due again. */
export async function originSeen(env: { DB: D1Database }, url: string, now: number): Promise<void> {
  const s = await getSchedule(env, url);
  if (s) await saveSchedule(env, seenAgain(s, now));
}

export interface TickReport {
  enqueued: { url: string; job: string }[];
  released: number;
}

/** The cron tick: frees origins whose visit ended unseen, then enqueues due origins, oldest lag first. */
export async function scheduleTick(env: SchedulerEnv, now: number): Promise<TickReport> {
  const released = await reconcile(env, now);
  const budget = budgetOf(env.ARCHIVE_SCHEDULER_BUDGET);
  const s = archiveSchedule;
  const rows = await db(env)
    .select()
    .from(s)
    .where(and(eq(s.disabled, false), isNull(s.runningJobId), lte(s.nextVisitAt, now)))
    .orderBy(asc(s.nextVisitAt), asc(s.url))
    .limit(budget);
  const enqueued: TickReport["enqueued"] = [];
  for (const due of dueOrigins(rows, now, budget)) {
    const claim = `cron:${now}`;
    const claimed = await db(env)
      .update(s)
      .set({ runningJobId: claim, updatedAt: now })
      .where(and(eq(s.originId, due.originId), isNull(s.runningJobId)))
      .returning({ id: s.originId });
    if (!claimed.length) continue; // a visit started meanwhile
    try {
      const address = parseRepoUrl(due.url);
      const refs = await remote<RepoObject>(env.REPO, address.key).submit(address, [
        plannedVisit(due.url, address.cloneUrl, "scheduler"),
      ]);
      const job = refs[0]!.id;
      await db(env)
        .update(s)
        .set({ runningJobId: job })
        .where(and(eq(s.originId, due.originId), eq(s.runningJobId, claim)));
      enqueued.push({ url: due.url, job });
    } catch (err) {
      console.error(`archive scheduler: could not enqueue ${due.url}: ${messageOf(err)}`);
      await db(env)
        .update(s)
        .set({ runningJobId: null })
        .where(and(eq(s.originId, due.originId), eq(s.runningJobId, claim)));
    }
  }
  return { enqueued, released };
}

/**
 * A visit's job settled (the archive kind's `onSettled`, called by its JobObject whatever ended it). If the
 * scheduler still counts it as running, the loader did not end the visit (cancelled, watchdog, dead letter):
 * the origin is freed, the visit closed as failed, and a failure counted, at once. Idempotent: once freed,
 * the schedule no longer names the job.
 */
export async function visitJobSettled(job: SettledJob, env: { DB: D1Database }): Promise<void> {
  const origin = (job.input as { origin?: unknown } | null)?.origin;
  if (typeof origin !== "string") return;
  const schedule = await getSchedule(env, origin);
  if (schedule?.runningJobId === job.jobId) await release(env, schedule, job.state, job.error, Date.now());
}

/**
 * Stale cron claims (a tick that died between claiming and enqueuing), and, as a backstop for visits whose job
 * settled before jobs told their pipeline (`visitJobSettled`), schedules naming a settled job: both freed.
 */
async function reconcile(env: SchedulerEnv, now: number): Promise<number> {
  const s = archiveSchedule;
  const rows = await db(env)
    .select({ schedule: s, phase: jobs.phase, status: jobs.status, error: jobs.error })
    .from(s)
    .leftJoin(jobs, eq(jobs.id, s.runningJobId))
    .where(isNotNull(s.runningJobId))
    .limit(RECONCILE_BATCH);
  let released = 0;
  for (const { schedule, phase, status, error } of rows) {
    const job = schedule.runningJobId!;
    if (job.startsWith("cron:")) {
      if (now - Number(job.slice(5)) < CLAIM_TIMEOUT_MS) continue;
      await db(env)
        .update(s)
        .set({ runningJobId: null })
        .where(and(eq(s.originId, schedule.originId), eq(s.runningJobId, job)));
      released += 1;
      continue;
    }
    if (phase !== "settled") continue;
    await release(env, schedule, status ?? "failed", error, now);
    released += 1;
  }
  return released;
}

/** Frees an origin whose visit job settled in `state` without the loader ending the visit. */
async function release(
  env: { DB: D1Database },
  schedule: OriginSchedule,
  state: string,
  error: string | null,
  now: number,
): Promise<void> {
  const s = archiveSchedule;
  const job = schedule.runningJobId!;
  const outcome: VisitOutcome = state === "not_found" ? "not_found" : state === "full" ? "uneventful" : "failed";
  if (outcome === "failed") {
    await db(env)
      .update(archiveVisits)
      .set({ status: "failed", statusDate: now, error: error ?? "the visit's job ended without finishing it" })
      .where(
        and(
          eq(archiveVisits.originId, schedule.originId),
          sql`(${archiveVisits.jobId} = ${job} OR ${archiveVisits.jobId} LIKE ${job + "/%"})`,
          sql`${archiveVisits.status} IN ('created', 'ongoing')`,
        ),
      );
  }
  const next = afterVisit(schedule, outcome, now, Math.random());
  await db(env)
    .update(s)
    .set(next)
    .where(and(eq(s.originId, schedule.originId), eq(s.runningJobId, job)));
}
