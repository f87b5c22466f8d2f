// Writes of the archive graph, each idempotent and batched: content bytes to R2 (content-store.ts), the rest to D1.
// R2 keys (stable): `content/<sha1_git>` held a content's bytes before content packs; `directory/<id>`, `revision/<id>` and
// `release/<id>` hold the git body of an object too large for a D1 row. Bytes go to R2 before their D1 row,
// and a snapshot's row only after its branches and every object they target: a row that exists is complete.

import { drizzle } from "drizzle-orm/d1";
import { and, eq, notInArray, sql } from "drizzle-orm";
import {
  archiveDirectories,
  archiveReleases,
  archiveRevisions,
  archiveSnapshotBranches,
  archiveSnapshots,
  archiveVisits,
} from "../../schema";
import { originId } from "./hashes";
import { releaseManifest, revisionManifest, snapshotId } from "./manifest";
import {
  FINAL_VISIT_STATUSES,
  type Directory,
  type Origin,
  type Release,
  type Revision,
  type Snapshot,
  type Visit,
  type VisitStatus,
} from "./model";
import { visitOfRow } from "./rows";
import { insertJsonRows, presentIds } from "./json-rows";

export interface ArchiveEnv {
  DB: D1Database;
  ARCHIVE: R2Bucket;
}

/** The largest tree body kept in a D1 row. */
export const MAX_DIRECTORY_ROW_BYTES = 512 * 1024;
/** R2 writes in flight at once. */
const R2_CONCURRENCY = 8;

export const contentKey = (sha1Git: string) => `content/${sha1Git}`;
export const directoryKey = (id: string) => `directory/${id}`;
export const revisionKey = (id: string) => `revision/${id}`;
export const releaseKey = (id: string) => `release/${id}`;
/** A revision or release larger than this (message, raw manifest) keeps its whole body in R2 instead of D1. */
export const MAX_OBJECT_ROW_BYTES = 1024 * 1024;
/** What stays of such an object's message in its D1 row. */
const CUT_MESSAGE_CHARS = 16 * 1024;

export class MissingObjectsError extends Error {
  constructor(readonly missing: string[]) {
    super(
      `snapshot targets ${missing.length} object(s) not in the archive: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`,
    );
    this.name = "MissingObjectsError";
  }
}

export const db = (env: ArchiveEnv) => drizzle(env.DB);

export async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

export type StoredKind = "content" | "directory" | "revision" | "release" | "snapshot";

const ID_COLUMN_NAME = {
  content: ["archive_contents", "sha1_git"],
  directory: ["archive_directories", "id"],
  revision: ["archive_revisions", "id"],
  release: ["archive_releases", "id"],
  snapshot: ["archive_snapshots", "id"],
} as const;

/** Which of `ids` are stored (as any of `kinds`): one statement per kind per few thousand ids, never one per id. */
export async function knownObjects(
  env: ArchiveEnv,
  ids: Iterable<string>,
  kinds: StoredKind[] = ["content", "directory", "revision", "release"],
): Promise<Set<string>> {
  let rest = [...new Set(ids)];
  const known = new Set<string>();
  for (const kind of kinds) {
    if (!rest.length) break;
    const [table, column] = ID_COLUMN_NAME[kind];
    for (const id of await presentIds(env.DB, table, column, rest)) known.add(id);
    rest = rest.filter((id) => !known.has(id));
  }
  return known;
}

/** Directories, byte for byte; a tree body over MAX_DIRECTORY_ROW_BYTES goes to R2 and its row says so. */
export async function storeDirectories(env: ArchiveEnv, items: Directory[]): Promise<{ added: number }> {
  const known = await knownObjects(
    env,
    items.map((d) => d.id),
    ["directory"],
  );
  const fresh = [...new Map(items.filter((d) => !known.has(d.id)).map((d) => [d.id, d])).values()];
  const large = fresh.filter((d) => d.raw.length > MAX_DIRECTORY_ROW_BYTES);
  await inParallel(large, R2_CONCURRENCY, async (d) => void (await env.ARCHIVE.put(directoryKey(d.id), d.raw)));
  const now = Date.now();
  const rows = fresh.map((d) => ({
    id: d.id,
    raw: d.raw.length > MAX_DIRECTORY_ROW_BYTES ? null : d.raw,
    entries: countEntries(d.raw),
    createdAt: now,
  }));
  await insertJsonRows(env.DB, archiveDirectories, rows);
  return { added: rows.length };
}

/** Entries in a tree body: one NUL per entry, each followed by a 20-byte id. */
function countEntries(raw: Uint8Array): number {
  let n = 0;
  for (let at = raw.indexOf(0); at >= 0; at = raw.indexOf(0, at + 21)) n++;
  return n;
}

export async function storeRevisions(env: ArchiveEnv, items: Revision[]): Promise<{ added: number }> {
  const now = Date.now();
  const unique = dedupe(items);
  const large = await moveLargeToR2(env, unique, revisionKey, (r) => r.rawManifest ?? revisionManifest(r));
  const rows = unique.map((r) => ({
    id: r.id,
    directory: r.directory,
    parents: r.parents,
    authorFullname: r.author.fullname,
    authorName: r.author.name,
    authorEmail: r.author.email,
    dateSeconds: r.date.seconds,
    dateMicroseconds: r.date.microseconds,
    dateOffset: r.date.offsetBytes,
    committerFullname: r.committer.fullname,
    committerName: r.committer.name,
    committerEmail: r.committer.email,
    committerDateSeconds: r.committerDate.seconds,
    committerDateMicroseconds: r.committerDate.microseconds,
    committerDateOffset: r.committerDate.offsetBytes,
    message: large.has(r.id) ? cut(r.message) : r.message,
    type: r.type,
    synthetic: r.synthetic,
    extraHeaders: large.has(r.id) ? [] : r.extraHeaders,
    rawManifest: large.has(r.id) ? null : r.rawManifest,
    manifestInR2: large.has(r.id),
    createdAt: now,
  }));
  await insertJsonRows(env.DB, archiveRevisions, rows);
  return { added: rows.length };
}

export async function storeReleases(env: ArchiveEnv, items: Release[]): Promise<{ added: number }> {
  const now = Date.now();
  const unique = dedupe(items);
  const large = await moveLargeToR2(env, unique, releaseKey, (r) => r.rawManifest ?? releaseManifest(r));
  const rows = unique.map((r) => ({
    id: r.id,
    name: r.name,
    target: r.target,
    targetType: r.targetType,
    authorFullname: r.author?.fullname ?? null,
    authorName: r.author?.name ?? null,
    authorEmail: r.author?.email ?? null,
    dateSeconds: r.date?.seconds ?? null,
    dateMicroseconds: r.date?.microseconds ?? null,
    dateOffset: r.date?.offsetBytes ?? null,
    message: large.has(r.id) ? cut(r.message) : r.message,
    synthetic: r.synthetic,
    rawManifest: large.has(r.id) ? null : r.rawManifest,
    manifestInR2: large.has(r.id),
    createdAt: now,
  }));
  await insertJsonRows(env.DB, archiveReleases, rows);
  return { added: rows.length };
}

/** Objects too large for a D1 row get their whole body in R2 first; answers their ids. */
async function moveLargeToR2<T extends { id: string; message: string | null; rawManifest: Uint8Array | null }>(
  env: ArchiveEnv,
  items: T[],
  key: (id: string) => string,
  body: (item: T) => Uint8Array,
): Promise<Set<string>> {
  const large = items.filter((i) => (i.message?.length ?? 0) * 3 + (i.rawManifest?.length ?? 0) > MAX_OBJECT_ROW_BYTES);
  await inParallel(large, R2_CONCURRENCY, async (i) => void (await env.ARCHIVE.put(key(i.id), body(i))));
  return new Set(large.map((i) => i.id));
}

function cut(message: string | null): string | null {
  return message === null || message.length <= CUT_MESSAGE_CHARS ? message : message.slice(0, CUT_MESSAGE_CHARS);
}

function dedupe<T extends { id: string }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.id, i])).values()];
}

const STORED_KIND_OF_TARGET = {
  content: "content",
  directory: "directory",
  revision: "revision",
  release: "release",
  snapshot: "snapshot",
} as const;

/**
 * A snapshot, written last: its id must match its branches, and every non-alias target must be stored
 * (else MissingObjectsError and nothing visible changes). Branches go first; the snapshot row makes it exist.
 */
export async function storeSnapshot(env: ArchiveEnv, snapshot: Snapshot): Promise<{ added: boolean }> {
  const computed = snapshotId(snapshot.branches);
  if (computed !== snapshot.id) throw new Error(`snapshot id ${snapshot.id} does not match its branches (${computed})`);
  if ((await knownObjects(env, [snapshot.id], ["snapshot"])).size) return { added: false };
  const missing: string[] = [];
  for (const kind of Object.values(STORED_KIND_OF_TARGET)) {
    const wanted = Object.values(snapshot.branches).flatMap((b) => (b && b.targetType === kind ? [b.target] : []));
    if (!wanted.length) continue;
    const known = await knownObjects(env, wanted, [kind]);
    missing.push(...wanted.filter((id) => !known.has(id)));
  }
  if (missing.length) throw new MissingObjectsError([...new Set(missing)]);
  const rows = Object.entries(snapshot.branches).map(([name, b]) => ({
    snapshotId: snapshot.id,
    name,
    target: b?.target ?? null,
    targetType: b?.targetType ?? null,
  }));
  await insertJsonRows(env.DB, archiveSnapshotBranches, rows);
  await db(env)
    .insert(archiveSnapshots)
    .values({ id: snapshot.id, branchCount: rows.length, createdAt: Date.now() })
    .onConflictDoNothing();
  return { added: true };
}

// --- origins and visits -------------------------------------------------------------------------

/**
 * Opens a visit of `url` (status `created`), creating the origin on first sight. With a `jobId`, a job that
 * runs again gets its own visit back instead of a new one.
 */
export async function openVisit(
  env: ArchiveEnv,
  url: string,
  opts: { jobId?: string; date?: number; type?: "git" } = {},
): Promise<{ origin: Origin; visit: Visit }> {
  const origin: Origin = { id: originId(url), url };
  const date = opts.date ?? Date.now();
  const jobId = opts.jobId ?? null;
  const v = archiveVisits;
  // One atomic batch: the origin on first sight, then the next visit number, unless this job already has one.
  await env.DB.batch([
    env.DB.prepare("INSERT INTO archive_origins (id, url, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING").bind(
      origin.id,
      url,
      date,
    ),
    env.DB.prepare(
      `INSERT INTO archive_visits (origin_id, visit, type, date, status, status_date, job_id)
       SELECT ?1, (SELECT COALESCE(MAX(visit), 0) + 1 FROM archive_visits WHERE origin_id = ?1), ?2, ?3, 'created', ?3, ?4
       WHERE NOT EXISTS (SELECT 1 FROM archive_visits WHERE origin_id = ?1 AND job_id IS NOT NULL AND job_id = ?4)`,
    ).bind(origin.id, opts.type ?? "git", date, jobId),
  ]);
  const where = jobId ? and(eq(v.originId, origin.id), eq(v.jobId, jobId)) : eq(v.originId, origin.id);
  const row = (
    await db(env)
      .select()
      .from(v)
      .where(where)
      .orderBy(sql`${v.visit} DESC`)
      .limit(1)
  )[0];
  if (!row) throw new Error(`visit of ${url} was not recorded`);
  return { origin, visit: visitOfRow(row, url) };
}

/**
 * Moves a visit to `status`. A final status (full, partial, failed, not_found) never changes again;
 * a snapshot given must already be stored. Returns the visit as it now is, or null when there is no such visit.
 */
export async function setVisitStatus(
  env: ArchiveEnv,
  url: string,
  visit: number,
  status: VisitStatus,
  opts: { snapshot?: string | null; error?: string | null; date?: number } = {},
): Promise<Visit | null> {
  const id = originId(url);
  if (opts.snapshot && !(await knownObjects(env, [opts.snapshot], ["snapshot"])).size)
    throw new MissingObjectsError([opts.snapshot]);
  const v = archiveVisits;
  const changes: Partial<typeof v.$inferInsert> = { status, statusDate: opts.date ?? Date.now() };
  if (opts.snapshot !== undefined) changes.snapshot = opts.snapshot;
  if (opts.error !== undefined) changes.error = opts.error;
  await db(env)
    .update(v)
    .set(changes)
    .where(and(eq(v.originId, id), eq(v.visit, visit), notInArray(v.status, [...FINAL_VISIT_STATUSES])));
  const row = (
    await db(env)
      .select()
      .from(v)
      .where(and(eq(v.originId, id), eq(v.visit, visit)))
      .limit(1)
  )[0];
  return row ? visitOfRow(row, url) : null;
}
