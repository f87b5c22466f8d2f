// Reads of the archive graph for the loader (last snapshot) and the read API; batched where they fan out.

import { drizzle } from "drizzle-orm/d1";
import { and, asc, desc, eq, gte, inArray, isNotNull, lt } from "drizzle-orm";
import {
  archiveContents,
  archiveDirectories,
  archiveOrigins,
  archiveReleases,
  archiveRevisions,
  archiveSnapshotBranches,
  archiveSnapshots,
  archiveVisits,
} from "../../schema";
import { originId } from "./hashes";
import type {
  Branch,
  BranchTargetType,
  Origin,
  Release,
  Revision,
  Snapshot,
  StoredContent,
  Visit,
  ContentStatus,
} from "./model";
import { releaseOfRow, revisionOfRow, visitOfRow } from "./rows";
import { selectIn } from "../core/d1-batch";
import { contentKey, directoryKey, releaseKey, revisionKey, type ArchiveEnv } from "./store";
import { releaseFromTag, revisionFromCommit } from "./convert";

const db = (env: ArchiveEnv) => drizzle(env.DB);

export async function getOrigin(env: ArchiveEnv, url: string): Promise<Origin | null> {
  const row = (
    await db(env)
      .select()
      .from(archiveOrigins)
      .where(eq(archiveOrigins.id, originId(url)))
      .limit(1)
  )[0];
  return row ? { id: row.id, url: row.url } : null;
}

export async function getOriginById(env: ArchiveEnv, id: string): Promise<Origin | null> {
  const row = (await db(env).select().from(archiveOrigins).where(eq(archiveOrigins.id, id)).limit(1))[0];
  return row ? { id: row.id, url: row.url } : null;
}

/** Which of these origin ids (sha1 of the URL) are archived. */
export async function knownOrigins(env: ArchiveEnv, ids: string[]): Promise<Set<string>> {
  const rows = await selectIn<string, { id: string }>(env.DB, ids, (run) =>
    db(env).select({ id: archiveOrigins.id }).from(archiveOrigins).where(inArray(archiveOrigins.id, run)),
  );
  return new Set(rows.map((r) => r.id));
}

/** Visits newest first; `before`: only visits numbered below it (SWH's `last_visit`). */
export async function listVisits(
  env: ArchiveEnv,
  url: string,
  opts: { before?: number; limit: number },
): Promise<Visit[]> {
  const v = archiveVisits;
  const rows = await db(env)
    .select()
    .from(v)
    .where(and(eq(v.originId, originId(url)), opts.before !== undefined ? lt(v.visit, opts.before) : undefined))
    .orderBy(desc(v.visit))
    .limit(opts.limit);
  return rows.map((r) => visitOfRow(r, url));
}

export async function getVisit(env: ArchiveEnv, url: string, visit: number): Promise<Visit | null> {
  const v = archiveVisits;
  const row = (
    await db(env)
      .select()
      .from(v)
      .where(and(eq(v.originId, originId(url)), eq(v.visit, visit)))
      .limit(1)
  )[0];
  return row ? visitOfRow(row, url) : null;
}

/** The newest visit; with `requireSnapshot`, the newest that has one, whatever its status. */
export async function latestVisit(
  env: ArchiveEnv,
  url: string,
  opts: { requireSnapshot?: boolean } = {},
): Promise<Visit | null> {
  const v = archiveVisits;
  const row = (
    await db(env)
      .select()
      .from(v)
      .where(and(eq(v.originId, originId(url)), opts.requireSnapshot ? isNotNull(v.snapshot) : undefined))
      .orderBy(desc(v.visit))
      .limit(1)
  )[0];
  return row ? visitOfRow(row, url) : null;
}

function branchOf(row: { target: string | null; targetType: string | null }): Branch {
  return row.target === null || row.targetType === null
    ? null
    : { target: row.target, targetType: row.targetType as BranchTargetType };
}

export async function snapshotExists(env: ArchiveEnv, id: string): Promise<boolean> {
  return (
    (
      await db(env)
        .select({ id: archiveSnapshots.id })
        .from(archiveSnapshots)
        .where(eq(archiveSnapshots.id, id))
        .limit(1)
    ).length > 0
  );
}

/** A page of a snapshot's branches in name order, from `from` (inclusive); null when the snapshot is not stored. */
export async function snapshotBranches(
  env: ArchiveEnv,
  id: string,
  opts: { from?: string; count: number; types?: string[] },
): Promise<{ id: string; branches: [string, Branch][]; nextBranch: string | null } | null> {
  if (!(await snapshotExists(env, id))) return null;
  const b = archiveSnapshotBranches;
  const rows = await db(env)
    .select()
    .from(b)
    .where(
      and(
        eq(b.snapshotId, id),
        opts.from !== undefined ? gte(b.name, opts.from) : undefined,
        opts.types ? inArray(b.targetType, opts.types) : undefined,
      ),
    )
    .orderBy(asc(b.name))
    .limit(opts.count + 1);
  const page = rows.slice(0, opts.count);
  return {
    id,
    branches: page.map((r) => [r.name, branchOf(r)]),
    nextBranch: rows.length > opts.count ? rows[opts.count]!.name : null,
  };
}

/** Some branches of a snapshot by name (to follow aliases that point outside a page). */
export async function branchesByName(env: ArchiveEnv, id: string, names: string[]): Promise<Map<string, Branch>> {
  const found = new Map<string, Branch>();
  const b = archiveSnapshotBranches;
  const rows = await selectIn<string, typeof b.$inferSelect>(
    env.DB,
    names,
    (run) =>
      db(env)
        .select()
        .from(b)
        .where(and(eq(b.snapshotId, id), inArray(b.name, run))),
    1,
  );
  for (const r of rows) found.set(r.name, branchOf(r));
  return found;
}

/** A whole snapshot with all its branches. */
export async function getSnapshot(env: ArchiveEnv, id: string): Promise<Snapshot | null> {
  if (!(await snapshotExists(env, id))) return null;
  const rows = await db(env).select().from(archiveSnapshotBranches).where(eq(archiveSnapshotBranches.snapshotId, id));
  const branches: Record<string, Branch> = {};
  for (const r of rows) branches[r.name] = branchOf(r);
  return { id, branches };
}

/** The snapshot of the origin's latest visit that has one, whatever that visit's status; null if none. */
export async function lastSnapshot(env: ArchiveEnv, url: string): Promise<Snapshot | null> {
  const visit = await latestVisit(env, url, { requireSnapshot: true });
  return visit?.snapshot ? getSnapshot(env, visit.snapshot) : null;
}

export async function getRevisions(env: ArchiveEnv, ids: string[]): Promise<Map<string, Revision>> {
  const found = new Map<string, Revision>();
  const rows = await selectIn<string, typeof archiveRevisions.$inferSelect>(env.DB, ids, (run) =>
    db(env).select().from(archiveRevisions).where(inArray(archiveRevisions.id, run)),
  );
  for (const r of rows)
    found.set(
      r.id,
      r.manifestInR2 ? revisionFromCommit(r.id, await bodyInR2(env, revisionKey(r.id))) : revisionOfRow(r),
    );
  return found;
}

/** The whole body of an object kept in R2 because it was too large for its D1 row. */
async function bodyInR2(env: ArchiveEnv, key: string): Promise<Uint8Array> {
  const object = await env.ARCHIVE.get(key);
  if (!object) throw new Error(`${key} is recorded as kept in R2 but is missing there`);
  return new Uint8Array(await object.arrayBuffer());
}

export async function getRevision(env: ArchiveEnv, id: string): Promise<Revision | null> {
  return (await getRevisions(env, [id])).get(id) ?? null;
}

/**
 * The history from `id`, breadth-first over parents in order (each revision once), as far as it is stored,
 * skipping the first `offset`. One recursive query walks the graph inside D1 (SQLite's CTE queue is FIFO,
 * hence breadth-first), then one batched read fetches the page.
 */
export async function revisionLog(
  env: ArchiveEnv,
  id: string,
  opts: { offset: number; limit: number },
): Promise<Revision[]> {
  const walked = await env.DB.prepare(
    `WITH RECURSIVE history(id) AS (
       SELECT id FROM archive_revisions WHERE id = ?1
       UNION
       SELECT parent.id FROM history
         JOIN archive_revisions child ON child.id = history.id
         JOIN json_each(child.parents) p
         JOIN archive_revisions parent ON parent.id = p.value
       LIMIT ?2
     )
     SELECT id FROM history`,
  )
    .bind(id, opts.offset + opts.limit)
    .all<{ id: string }>();
  const ids = walked.results.slice(opts.offset).map((r) => r.id);
  const found = await getRevisions(env, ids);
  return ids.flatMap((rid) => (found.has(rid) ? [found.get(rid)!] : []));
}

export async function getRelease(env: ArchiveEnv, id: string): Promise<Release | null> {
  const row = (await db(env).select().from(archiveReleases).where(eq(archiveReleases.id, id)).limit(1))[0];
  if (!row) return null;
  return row.manifestInR2 ? releaseFromTag(row.id, await bodyInR2(env, releaseKey(row.id))) : releaseOfRow(row);
}

/** A directory's tree body, from its D1 row or, for a large one, R2. */
export async function getDirectoryRaw(env: ArchiveEnv, id: string): Promise<Uint8Array | null> {
  const row = (await db(env).select().from(archiveDirectories).where(eq(archiveDirectories.id, id)).limit(1))[0];
  if (!row) return null;
  if (row.raw) return row.raw;
  const object = await env.ARCHIVE.get(directoryKey(id));
  if (!object) throw new Error(`directory ${id} is recorded but its body is missing from R2`);
  return new Uint8Array(await object.arrayBuffer());
}

export type ContentAlgo = "sha1" | "sha1_git" | "sha256" | "blake2s256";
const CONTENT_COLUMN = {
  sha1: archiveContents.sha1,
  sha1_git: archiveContents.sha1Git,
  sha256: archiveContents.sha256,
  blake2s256: archiveContents.blake2s256,
} as const;

function storedContentOf(r: typeof archiveContents.$inferSelect): StoredContent {
  return {
    sha1: r.sha1,
    sha1_git: r.sha1Git,
    sha256: r.sha256,
    blake2s256: r.blake2s256,
    length: r.length,
    status: r.status as ContentStatus,
    reason: r.reason,
  };
}

export async function getContent(env: ArchiveEnv, algo: ContentAlgo, hash: string): Promise<StoredContent | null> {
  const row = (await db(env).select().from(archiveContents).where(eq(CONTENT_COLUMN[algo], hash)).limit(1))[0];
  return row ? storedContentOf(row) : null;
}

/** Contents by sha1_git, batched (directory listings show each file's length). */
export async function getContents(env: ArchiveEnv, ids: string[]): Promise<Map<string, StoredContent>> {
  const found = new Map<string, StoredContent>();
  const rows = await selectIn<string, typeof archiveContents.$inferSelect>(env.DB, ids, (run) =>
    db(env).select().from(archiveContents).where(inArray(archiveContents.sha1Git, run)),
  );
  for (const r of rows) found.set(r.sha1Git, storedContentOf(r));
  return found;
}

/** The bytes of a content that its row says are archived cannot be read: its pack is gone or cut short. */
export class ContentBytesMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContentBytesMissingError";
  }
}

/**
 * A visible content's bytes, streamed: one range read of its content pack (inflated when stored compressed), or
 * the one object of a content archived before packs. Null when no row says the bytes are archived; a row whose
 * bytes are gone or short throws ContentBytesMissingError (the archive is damaged: a 5xx, not a 404).
 */
export async function openContent(env: ArchiveEnv, sha1Git: string): Promise<ReadableStream<Uint8Array> | null> {
  const c = archiveContents;
  const row = (
    await db(env)
      .select({ pack: c.pack, offset: c.packOffset, length: c.packLength, compressed: c.compressed, status: c.status })
      .from(c)
      .where(eq(c.sha1Git, sha1Git))
      .limit(1)
  )[0];
  if (!row || row.status !== "visible") return null;
  if (!row.pack) {
    const one = await env.ARCHIVE.get(contentKey(sha1Git));
    if (!one)
      throw new ContentBytesMissingError(
        `content ${sha1Git} is recorded as archived but ${contentKey(sha1Git)} is missing from R2`,
      );
    return one.body;
  }
  const offset = row.offset ?? 0;
  const length = row.length ?? 0;
  const head = await env.ARCHIVE.head(row.pack);
  if (!head)
    throw new ContentBytesMissingError(`content ${sha1Git} is in content pack ${row.pack}, which is missing from R2`);
  if (head.size < offset + length)
    throw new ContentBytesMissingError(
      `content pack ${row.pack} is truncated: ${head.size} bytes, content ${sha1Git} needs ${offset}+${length}`,
    );
  const part = length ? await env.ARCHIVE.get(row.pack, { range: { offset, length } }) : null;
  if (length && !part)
    throw new ContentBytesMissingError(`content pack ${row.pack} vanished while content ${sha1Git} was read`);
  const body = part ? part.body : new Response(new Uint8Array(0)).body!;
  return row.compressed ? body.pipeThrough(new DecompressionStream("deflate-raw")) : body;
}
