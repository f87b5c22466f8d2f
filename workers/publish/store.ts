// The publish room's D1 rows (schema/publish.ts): one per build, written by its job; read by the API with the
// job's status joined from `jobs` (the JobObject's own mirror).

import { drizzle } from "drizzle-orm/d1";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { publishBuilds } from "../../schema/publish";
import { jobs } from "../../schema/jobs";

export type BuildRow = typeof publishBuilds.$inferSelect;

export async function insertBuild(
  db: D1Database,
  row: Pick<BuildRow, "id" | "repoId" | "owner" | "repo" | "ref" | "commitId">,
): Promise<void> {
  const now = Date.now();
  await drizzle(db)
    .insert(publishBuilds)
    .values({ ...row, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
}

export async function updateBuild(
  db: D1Database,
  id: string,
  patch: Partial<Omit<BuildRow, "id" | "createdAt">>,
): Promise<void> {
  await drizzle(db)
    .update(publishBuilds)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(publishBuilds.id, id));
}

export interface BuildListing {
  row: BuildRow;
  status: string | null;
  phase: string | null;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
}

const columns = {
  row: publishBuilds,
  status: jobs.status,
  phase: jobs.phase,
  error: jobs.error,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
};

/** Builds newest first, after `cursor` (a build id), filtered by repo (`owner/name`) and status. */
export async function listBuilds(
  db: D1Database,
  q: { repo?: string; status?: string; cursor?: string; limit: number },
): Promise<BuildListing[]> {
  const where = [];
  if (q.repo) {
    const [owner, name] = q.repo.split("/");
    where.push(and(eq(publishBuilds.owner, owner ?? ""), eq(publishBuilds.repo, name ?? "")));
  }
  if (q.status) where.push(eq(jobs.status, q.status));
  if (q.cursor) where.push(lt(publishBuilds.id, q.cursor));
  const rows = await drizzle(db)
    .select(columns)
    .from(publishBuilds)
    .leftJoin(jobs, eq(jobs.id, publishBuilds.id))
    .where(where.length ? and(...where) : sql`1 = 1`)
    .orderBy(desc(publishBuilds.id))
    .limit(q.limit);
  return rows as BuildListing[];
}

export async function readBuild(db: D1Database, id: string): Promise<BuildListing | null> {
  const rows = await drizzle(db)
    .select(columns)
    .from(publishBuilds)
    .leftJoin(jobs, eq(jobs.id, publishBuilds.id))
    .where(eq(publishBuilds.id, id))
    .limit(1);
  return (rows[0] as BuildListing | undefined) ?? null;
}
