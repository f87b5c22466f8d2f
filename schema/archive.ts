// D1 tables of the archive room: the Software Heritage–style graph (contents, directories, revisions, releases,
// snapshots), origins with their visits, and the scheduler's per-origin state. Content bytes live in R2.

import { sqliteTable, text, integer, index, primaryKey, customType } from "drizzle-orm/sqlite-core";

/** Raw bytes (git manifests): bound as an ArrayBuffer, read back from D1's number arrays. */
export const bytes = customType<{ data: Uint8Array; driverData: ArrayBuffer | number[] }>({
  dataType: () => "blob",
  toDriver: (value) => value.slice().buffer as ArrayBuffer,
  fromDriver: (value) => (value instanceof ArrayBuffer ? new Uint8Array(value) : Uint8Array.from(value)),
});

export const archiveOrigins = sqliteTable("archive_origins", {
  /** sha1 of the URL (SWH origin id). */
  id: text("id").primaryKey(),
  url: text("url").notNull().unique(),
  createdAt: integer("created_at").notNull(),
});

export const archiveVisits = sqliteTable(
  "archive_visits",
  {
    originId: text("origin_id").notNull(),
    visit: integer("visit").notNull(),
    type: text("type").notNull(),
    date: integer("date").notNull(),
    /** created | ongoing | full | partial | failed | not_found */
    status: text("status").notNull(),
    statusDate: integer("status_date").notNull(),
    snapshot: text("snapshot"),
    /** The job that runs this visit; a retried job finds its visit again by it. */
    jobId: text("job_id"),
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.originId, t.visit] }), index("archive_visits_job").on(t.originId, t.jobId)],
);

export const archiveContents = sqliteTable(
  "archive_contents",
  {
    sha1Git: text("sha1_git").primaryKey(),
    sha1: text("sha1").notNull(),
    sha256: text("sha256").notNull(),
    blake2s256: text("blake2s256").notNull(),
    length: integer("length").notNull(),
    /** visible: bytes in R2 (in a content pack, or at `content/<sha1_git>`); absent: a skipped content, hashes only. */
    status: text("status").notNull(),
    reason: text("reason"),
    createdAt: integer("created_at").notNull(),
    /** The content pack holding the bytes (workers/archive/content-pack.ts); null: one object `content/<sha1_git>`. */
    pack: text("pack"),
    /** Where the stored bytes start in the pack, and how many there are (compressed or not). */
    packOffset: integer("pack_offset"),
    packLength: integer("pack_length"),
    /** Stored deflate-raw compressed (inflated on read); `length` stays the content's own. */
    compressed: integer("compressed", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    index("archive_contents_sha1").on(t.sha1),
    index("archive_contents_sha256").on(t.sha256),
    index("archive_contents_blake2s256").on(t.blake2s256),
  ],
);

export const archiveDirectories = sqliteTable("archive_directories", {
  id: text("id").primaryKey(),
  /** The git tree body; null when too large for a D1 row, then in R2 at `directory/<id>`. */
  raw: bytes("raw"),
  entries: integer("entries").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const archiveRevisions = sqliteTable("archive_revisions", {
  id: text("id").primaryKey(),
  directory: text("directory").notNull(),
  /** JSON array of parent ids, in order. */
  parents: text("parents", { mode: "json" }).$type<string[]>().notNull(),
  authorFullname: text("author_fullname").notNull(),
  authorName: text("author_name"),
  authorEmail: text("author_email"),
  dateSeconds: integer("date_seconds").notNull(),
  dateMicroseconds: integer("date_microseconds").notNull(),
  /** The timezone exactly as git wrote it (`+0200`, `-0000`, or odd ones). */
  dateOffset: text("date_offset").notNull(),
  committerFullname: text("committer_fullname").notNull(),
  committerName: text("committer_name"),
  committerEmail: text("committer_email"),
  committerDateSeconds: integer("committer_date_seconds").notNull(),
  committerDateMicroseconds: integer("committer_date_microseconds").notNull(),
  committerDateOffset: text("committer_date_offset").notNull(),
  message: text("message"),
  type: text("type").notNull(),
  synthetic: integer("synthetic", { mode: "boolean" }).notNull(),
  /** JSON array of [key, value] pairs, in order. */
  extraHeaders: text("extra_headers", { mode: "json" }).$type<[string, string][]>().notNull(),
  /** The commit body when the fields above do not re-serialize to `id`. */
  rawManifest: bytes("raw_manifest"),
  /** Too large for a D1 row: the whole commit body is in R2 at `revision/<id>`, the message here is cut. */
  manifestInR2: integer("manifest_in_r2", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
});

export const archiveReleases = sqliteTable("archive_releases", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  target: text("target").notNull(),
  targetType: text("target_type").notNull(),
  authorFullname: text("author_fullname"),
  authorName: text("author_name"),
  authorEmail: text("author_email"),
  dateSeconds: integer("date_seconds"),
  dateMicroseconds: integer("date_microseconds"),
  dateOffset: text("date_offset"),
  message: text("message"),
  synthetic: integer("synthetic", { mode: "boolean" }).notNull(),
  rawManifest: bytes("raw_manifest"),
  /** Too large for a D1 row: the whole tag body is in R2 at `release/<id>`, the message here is cut. */
  manifestInR2: integer("manifest_in_r2", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
});

/** A snapshot exists once this row exists; its branches are written before it. */
export const archiveSnapshots = sqliteTable("archive_snapshots", {
  id: text("id").primaryKey(),
  branchCount: integer("branch_count").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const archiveSnapshotBranches = sqliteTable(
  "archive_snapshot_branches",
  {
    snapshotId: text("snapshot_id").notNull(),
    name: text("name").notNull(),
    /** null with a null type: a dangling branch. */
    target: text("target"),
    targetType: text("target_type"),
  },
  (t) => [primaryKey({ columns: [t.snapshotId, t.name] })],
);

/** The scheduler's state per archived origin (SWH origin-visit scheduler). */
export const archiveSchedule = sqliteTable(
  "archive_schedule",
  {
    originId: text("origin_id").primaryKey(),
    url: text("url").notNull(),
    /** 0..10; eventful visit −2, uneventful +1. */
    intervalOffset: integer("interval_offset").notNull(),
    nextVisitAt: integer("next_visit_at").notNull(),
    /** Failed or not-found visits in a row. */
    failures: integer("failures").notNull(),
    /** Set after 3 failures in a row, cleared when the origin is seen again. */
    disabled: integer("disabled", { mode: "boolean" }).notNull(),
    /** The job of the visit running now, if any. */
    runningJobId: text("running_job_id"),
    lastVisitAt: integer("last_visit_at"),
    lastSeenAt: integer("last_seen_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("archive_schedule_due").on(t.disabled, t.nextVisitAt)],
);
