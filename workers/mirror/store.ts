// The mirror's D1 records: specs and their outcomes, the objects the consumer is done with, run counters.

import { drizzle } from "drizzle-orm/d1";
import { and, eq, or, sql } from "drizzle-orm";
import { mirrors, mirrorObjects, mirrorRuns } from "../../schema";
import { summarize } from "../core/errors";
import { writeRows } from "../core/d1-batch";
import type { MirrorRole } from "./roles";
import type { SyncKey } from "./keys";

export type MirrorRow = typeof mirrors.$inferSelect;

export function mirrorView(m: MirrorRow) {
  return {
    id: m.id,
    source: { url: m.sourceUrl, branch: m.sourceBranch },
    destination: { url: m.destinationUrl, group: m.group, project: m.project, branch: m.destinationBranch },
    createdAt: m.createdAt,
    producer: {
      commit: m.producedCommit,
      key: m.producedKey,
      at: m.producedAt,
      error: m.produceError,
      errorAt: m.produceErrorAt,
    },
    consumer: {
      commit: m.appliedCommit,
      at: m.appliedAt,
      commitTime: m.appliedCommitTime,
      error: m.applyError,
      errorAt: m.applyErrorAt,
    },
  };
}

export async function allMirrors(db: D1Database): Promise<MirrorRow[]> {
  return drizzle(db).select().from(mirrors).orderBy(mirrors.id);
}

export async function mirrorById(db: D1Database, id: string): Promise<MirrorRow | null> {
  return (await drizzle(db).select().from(mirrors).where(eq(mirrors.id, id)).limit(1))[0] ?? null;
}

export async function mirrorsOfSource(db: D1Database, sourceUrl: string, branch: string): Promise<MirrorRow[]> {
  return drizzle(db)
    .select()
    .from(mirrors)
    .where(and(eq(mirrors.sourceUrl, sourceUrl), eq(mirrors.sourceBranch, branch)))
    .orderBy(mirrors.id);
}

/** The spec whose destination a key names (group, project, destination branch), if this side has one. */
export async function mirrorOfKey(db: D1Database, key: SyncKey): Promise<MirrorRow | null> {
  const rows = await drizzle(db)
    .select()
    .from(mirrors)
    .where(
      and(
        eq(mirrors.group, key.group),
        eq(mirrors.project, key.project_name),
        eq(mirrors.destinationBranch, key.remote_branch),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

export async function recordProduced(db: D1Database, id: string, commit: string, key: string): Promise<void> {
  await drizzle(db)
    .update(mirrors)
    .set({ producedCommit: commit, producedKey: key, producedAt: Date.now(), produceError: null, produceErrorAt: null })
    .where(eq(mirrors.id, id));
}

export async function recordProduceError(db: D1Database, id: string, error: string): Promise<void> {
  await drizzle(db)
    .update(mirrors)
    .set({ produceError: summarize(error, 500), produceErrorAt: Date.now() })
    .where(eq(mirrors.id, id));
}

export async function recordApplied(
  db: D1Database,
  id: string,
  commit: string,
  commitTime: number | null,
): Promise<void> {
  await drizzle(db)
    .update(mirrors)
    .set({
      appliedCommit: commit,
      appliedAt: Date.now(),
      appliedCommitTime: commitTime,
      applyError: null,
      applyErrorAt: null,
    })
    .where(eq(mirrors.id, id));
}

export async function recordApplyError(db: D1Database, id: string, error: string): Promise<void> {
  await drizzle(db)
    .update(mirrors)
    .set({ applyError: summarize(error, 500), applyErrorAt: Date.now() })
    .where(eq(mirrors.id, id));
}

/** Whether the consumer already finished with this object (applied it, or rejected it for good). */
export async function objectDone(
  db: D1Database,
  key: string,
  etag: string,
): Promise<{ status: string; error: string | null } | null> {
  const row = (
    await drizzle(db)
      .select({ status: mirrorObjects.status, error: mirrorObjects.error })
      .from(mirrorObjects)
      .where(and(eq(mirrorObjects.key, key), eq(mirrorObjects.etag, etag)))
      .limit(1)
  )[0];
  return row ?? null;
}

/** The (key, etag) pairs already dealt with, for a reconcile over the whole bucket (one query). */
export async function objectsDone(db: D1Database): Promise<Set<string>> {
  const rows = await drizzle(db).select({ key: mirrorObjects.key, etag: mirrorObjects.etag }).from(mirrorObjects);
  return new Set(rows.map((r) => `${r.key}\n${r.etag}`));
}

export async function recordObject(
  db: D1Database,
  o: {
    key: string;
    etag: string;
    status: "applied" | "rejected";
    commit: string | null;
    mirrorId: string | null;
    error: string | null;
  },
): Promise<void> {
  await drizzle(db)
    .insert(mirrorObjects)
    .values({ ...o, error: o.error ? summarize(o.error, 500) : null, at: Date.now() })
    .onConflictDoUpdate({
      target: [mirrorObjects.key, mirrorObjects.etag],
      set: { status: o.status, error: o.error, at: Date.now() },
    });
}

/** Objects gone from the bucket need no memory: keeps the table as small as the bucket. */
export async function forgetObjects(db: D1Database, keep: Set<string>): Promise<void> {
  const rows = await drizzle(db).select({ key: mirrorObjects.key, etag: mirrorObjects.etag }).from(mirrorObjects);
  const gone = rows.filter((r) => !keep.has(r.key));
  const d = drizzle(db);
  // Two parameters a row: as many (key, etag) pairs in one DELETE as D1's parameter limit allows.
  await writeRows(db, gone, 2, (run) =>
    d
      .delete(mirrorObjects)
      .where(or(...run.map((r) => and(eq(mirrorObjects.key, r.key), eq(mirrorObjects.etag, r.etag))))),
  );
}

/** Counts one run of a role (a job attempt or a reconcile). */
export async function recordRun(db: D1Database, role: MirrorRole, ok: boolean, startedAt: number): Promise<void> {
  const duration = Date.now() - startedAt;
  const status = ok ? "ok" : "failed";
  await drizzle(db)
    .insert(mirrorRuns)
    .values({
      role,
      runs: 1,
      failures: ok ? 0 : 1,
      lastStatus: status,
      lastStartedAt: startedAt,
      lastDurationMs: duration,
    })
    .onConflictDoUpdate({
      target: mirrorRuns.role,
      set: {
        runs: sql`${mirrorRuns.runs} + 1`,
        failures: sql`${mirrorRuns.failures} + ${ok ? 0 : 1}`,
        lastStatus: status,
        lastStartedAt: startedAt,
        lastDurationMs: duration,
      },
    });
}

export async function runStats(db: D1Database) {
  return drizzle(db).select().from(mirrorRuns);
}
