// The tag-build rows in D1: one per job (what the status pages list) and the claims that keep two jobs
// off one tag object at once. The rows record the tag facts and keep no copy of the job's state: that is its
// JobObject's alone (asked where a decision needs it; its D1 summary, `jobs`, where a listing does).

import { drizzle } from "drizzle-orm/d1";
import { and, eq, lt, ne, sql } from "drizzle-orm";
import { tagbuildClaims, tagbuildJobs } from "../../schema";

export type TagbuildRow = typeof tagbuildJobs.$inferSelect;
export type TagbuildPatch = Partial<Omit<TagbuildRow, "id" | "createdAt">>;

export async function insertRow(
  db: D1Database,
  row: Omit<TagbuildRow, "updatedAt" | "messages"> & { messages?: TagbuildRow["messages"] },
): Promise<void> {
  await drizzle(db)
    .insert(tagbuildJobs)
    .values({ ...row, messages: row.messages ?? [], updatedAt: Date.now() })
    .onConflictDoNothing();
}

export async function updateRow(db: D1Database, id: string, patch: TagbuildPatch): Promise<void> {
  await drizzle(db)
    .update(tagbuildJobs)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(tagbuildJobs.id, id));
}

export async function readRow(db: D1Database, id: string): Promise<TagbuildRow | null> {
  return (await drizzle(db).select().from(tagbuildJobs).where(eq(tagbuildJobs.id, id)).limit(1))[0] ?? null;
}

/** Earlier jobs of the same repo on the same tag object, oldest first (at most a few: one per delivery). */
export async function earlierDeliveries(
  db: D1Database,
  id: string,
  repoUrl: string,
  objectId: string,
): Promise<string[]> {
  const rows = await drizzle(db)
    .select({ id: tagbuildJobs.id })
    .from(tagbuildJobs)
    .where(and(eq(tagbuildJobs.repoUrl, repoUrl), eq(tagbuildJobs.objectId, objectId), lt(tagbuildJobs.id, id)))
    .orderBy(tagbuildJobs.id)
    .limit(DELIVERIES_MAX);
  return rows.map((r) => r.id);
}

const DELIVERIES_MAX = 20;

export type ClaimAnswer =
  /** This job owns the build of the object. */
  | { owner: true }
  /** Another job owns it and has not failed; its state as its JobObject says. */
  | { owner: false; holder: { id: string; state: string } };

/**
 * Takes the build of `objectId` for `jobId`, unless another job holds it and has not failed. A failed holder
 * (or one whose job is gone) is replaced: a later attempt at the same tag may work. The holder's state comes
 * from its JobObject (`stateOf`), the only keeper of it; so a holder the JobObject itself ended (watchdog,
 * retries used up, dead letter, cancel) never blocks the object. Each step is one statement.
 */
export async function claimObject(
  db: D1Database,
  objectId: string,
  jobId: string,
  stateOf: (jobId: string) => Promise<string | null>,
): Promise<ClaimAnswer> {
  const d = drizzle(db);
  for (let round = 0; round < 3; round++) {
    await d.insert(tagbuildClaims).values({ objectId, jobId, claimedAt: Date.now() }).onConflictDoNothing();
    const claim = (await d.select().from(tagbuildClaims).where(eq(tagbuildClaims.objectId, objectId)).limit(1))[0];
    if (!claim) continue; // pruned between the two statements
    if (claim.jobId === jobId) return { owner: true };
    const state = await stateOf(claim.jobId);
    if (state !== null && state !== "failed") return { owner: false, holder: { id: claim.jobId, state } };
    // The holder failed (or its job is gone): take over, only if nobody else did first.
    await d
      .update(tagbuildClaims)
      .set({ jobId, claimedAt: Date.now() })
      .where(and(eq(tagbuildClaims.objectId, objectId), eq(tagbuildClaims.jobId, claim.jobId)));
  }
  throw new Error(`could not settle the claim on tag object ${objectId} (three jobs took it over in turn)`);
}

/** The other jobs on `objectId`: those that may be waiting for the job `holderId` (woken when it settles). */
export async function othersOn(db: D1Database, objectId: string, holderId: string): Promise<string[]> {
  const rows = await drizzle(db)
    .select({ id: tagbuildJobs.id })
    .from(tagbuildJobs)
    .where(and(eq(tagbuildJobs.objectId, objectId), ne(tagbuildJobs.id, holderId)))
    .limit(OTHERS_MAX);
  return rows.map((r) => r.id);
}

const OTHERS_MAX = 100;

/** Jobs whose retry (after their forge was down) may happen by `now`, oldest first. */
export async function dueForRetry(db: D1Database, now: number, limit = 50): Promise<TagbuildRow[]> {
  return drizzle(db)
    .select()
    .from(tagbuildJobs)
    .where(sql`${tagbuildJobs.retryEarliest} IS NOT NULL AND ${tagbuildJobs.retryEarliest} <= ${now}`)
    .orderBy(tagbuildJobs.id)
    .limit(limit);
}

/**
 * Deletes the rows (and claims) of jobs created before `cutoff` that will do nothing more, as their JobObjects'
 * summaries say (phase `settled`). Rows of jobs still in progress stay whatever their age. Returns how many
 * rows went.
 */
export async function pruneBefore(db: D1Database, cutoff: number): Promise<number> {
  const settled = `created_at < ? AND id IN (SELECT id FROM jobs WHERE kind = 'tagbuild' AND phase = 'settled')`;
  const [claims, rows, summaries] = await db.batch([
    db
      .prepare(`DELETE FROM tagbuild_claims WHERE job_id IN (SELECT id FROM tagbuild_jobs WHERE ${settled})`)
      .bind(cutoff),
    db.prepare(`DELETE FROM tagbuild_jobs WHERE ${settled}`).bind(cutoff),
    db
      .prepare(
        `DELETE FROM jobs WHERE kind = 'tagbuild' AND phase = 'settled' AND created_at < ? AND id NOT IN (SELECT id FROM tagbuild_jobs)`,
      )
      .bind(cutoff),
  ]);
  void claims;
  void summaries;
  return rows?.meta.changes ?? 0;
}
