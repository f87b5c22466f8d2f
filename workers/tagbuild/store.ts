// The tag-build rows in D1: one per job (what the status pages list) and the claims that keep two jobs
// off one tag object at once. The JobObject stays the single writer of the job's state; these rows record
// the tag facts beside it.

import { drizzle } from "drizzle-orm/d1";
import { and, eq, lt, ne, sql } from "drizzle-orm";
import { tagbuildClaims, tagbuildJobs } from "../../schema";

export type TagbuildRow = typeof tagbuildJobs.$inferSelect;
export type TagbuildPatch = Partial<Omit<TagbuildRow, "id" | "createdAt">>;

export async function insertRow(db: D1Database, row: Omit<TagbuildRow, "updatedAt" | "messages"> & { messages?: TagbuildRow["messages"] }): Promise<void> {
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

/** Another job of the same repo with the same tag object, created before `id`, that did not fail. */
export async function earlierDelivery(db: D1Database, id: string, repoUrl: string, objectId: string): Promise<TagbuildRow | null> {
  const rows = await drizzle(db)
    .select()
    .from(tagbuildJobs)
    .where(
      and(
        eq(tagbuildJobs.repoUrl, repoUrl),
        eq(tagbuildJobs.objectId, objectId),
        lt(tagbuildJobs.id, id),
        ne(tagbuildJobs.status, "failed"),
        ne(tagbuildJobs.status, "not_for_us"),
      ),
    )
    .orderBy(tagbuildJobs.id)
    .limit(1);
  return rows[0] ?? null;
}

export type ClaimAnswer =
  /** This job owns the build of the object. */
  | { owner: true }
  /** Another job owns it; its row says where it stands. */
  | { owner: false; holder: TagbuildRow };

/**
 * Takes the build of `objectId` for `jobId`, unless another job holds it and has not failed. A failed
 * holder is replaced (a later attempt at the same tag may work). Each step is one statement.
 */
export async function claimObject(db: D1Database, objectId: string, jobId: string): Promise<ClaimAnswer> {
  const d = drizzle(db);
  for (let round = 0; round < 3; round++) {
    await d.insert(tagbuildClaims).values({ objectId, jobId, claimedAt: Date.now() }).onConflictDoNothing();
    const claim = (await d.select().from(tagbuildClaims).where(eq(tagbuildClaims.objectId, objectId)).limit(1))[0];
    if (!claim) continue; // pruned between the two statements
    if (claim.jobId === jobId) return { owner: true };
    const holder = await readRow(db, claim.jobId);
    if (holder && holder.status !== "failed") return { owner: false, holder };
    // The holder failed (or its row expired): take over, only if nobody else did first.
    await d
      .update(tagbuildClaims)
      .set({ jobId, claimedAt: Date.now() })
      .where(and(eq(tagbuildClaims.objectId, objectId), eq(tagbuildClaims.jobId, claim.jobId)));
  }
  const claim = (await d.select().from(tagbuildClaims).where(eq(tagbuildClaims.objectId, objectId)).limit(1))[0];
  if (claim?.jobId === jobId) return { owner: true };
  const holder = claim ? await readRow(db, claim.jobId) : null;
  if (!holder) throw new Error(`could not settle the claim on tag object ${objectId}`);
  return { owner: false, holder };
}

/** Jobs waiting for the job that holds `objectId` (woken when it finishes). */
export async function waitingOn(db: D1Database, objectId: string, holderId: string): Promise<string[]> {
  const rows = await drizzle(db)
    .select({ id: tagbuildJobs.id })
    .from(tagbuildJobs)
    .where(and(eq(tagbuildJobs.objectId, objectId), ne(tagbuildJobs.id, holderId), sql`${tagbuildJobs.status} IN ('noticed', 'queued')`));
  return rows.map((r) => r.id);
}

/** Failed jobs whose retry may happen by `now`, oldest first. */
export async function dueForRetry(db: D1Database, now: number, limit = 50): Promise<TagbuildRow[]> {
  return drizzle(db)
    .select()
    .from(tagbuildJobs)
    .where(and(eq(tagbuildJobs.status, "failed"), sql`${tagbuildJobs.retryEarliest} IS NOT NULL AND ${tagbuildJobs.retryEarliest} <= ${now}`))
    .orderBy(tagbuildJobs.id)
    .limit(limit);
}

/**
 * Deletes the rows (and claims) of jobs created before `cutoff` that will do nothing more. Rows of jobs
 * still in progress stay whatever their age. Returns how many rows went.
 */
export async function pruneBefore(db: D1Database, cutoff: number): Promise<number> {
  const settled = `status IN ('uploaded', 'irrecoverable', 'not_for_us', 'failed') AND created_at < ?`;
  const [claims, rows, summaries] = await db.batch([
    db.prepare(`DELETE FROM tagbuild_claims WHERE job_id IN (SELECT id FROM tagbuild_jobs WHERE ${settled})`).bind(cutoff),
    db.prepare(`DELETE FROM tagbuild_jobs WHERE ${settled}`).bind(cutoff),
    db
      .prepare(`DELETE FROM jobs WHERE kind = 'tagbuild' AND phase = 'settled' AND created_at < ? AND id NOT IN (SELECT id FROM tagbuild_jobs)`)
      .bind(cutoff),
  ]);
  void claims;
  void summaries;
  return rows?.meta.changes ?? 0;
}
