// D1 tables of the mirror room: the mirror specs with each role's last outcome, the objects the consumer has
// dealt with (key + etag, so a restart does not redo them), and run counters per role for the metrics.

import { sqliteTable, text, integer, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";

export const mirrors = sqliteTable(
  "mirrors",
  {
    id: text("id").primaryKey(),
    sourceUrl: text("source_url").notNull(),
    sourceCloneUrl: text("source_clone_url").notNull(),
    sourceBranch: text("source_branch").notNull(),
    destinationUrl: text("destination_url").notNull(),
    destinationCloneUrl: text("destination_clone_url").notNull(),
    /** Forge host of the destination: its token (registry `forges.token`) is the push credential. */
    destinationHost: text("destination_host").notNull(),
    group: text("group").notNull(),
    project: text("project").notNull(),
    destinationBranch: text("destination_branch").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Producer: the commit of the last object uploaded, its key, when; or the last error. */
    producedCommit: text("produced_commit"),
    producedKey: text("produced_key"),
    producedAt: integer("produced_at"),
    produceError: text("produce_error"),
    produceErrorAt: integer("produce_error_at"),
    /** Consumer: the last commit pushed to the destination, when, that commit's time; or the last error. */
    appliedCommit: text("applied_commit"),
    appliedAt: integer("applied_at"),
    appliedCommitTime: integer("applied_commit_time"),
    applyError: text("apply_error"),
    applyErrorAt: integer("apply_error_at"),
  },
  (t) => [
    uniqueIndex("mirrors_destination").on(t.group, t.project, t.destinationBranch),
    index("mirrors_source").on(t.sourceUrl, t.sourceBranch),
  ],
);

/** Objects of the SYNC bucket the consumer has finished with, applied or rejected, by key and etag. */
export const mirrorObjects = sqliteTable(
  "mirror_objects",
  {
    key: text("key").notNull(),
    etag: text("etag").notNull(),
    /** applied | rejected */
    status: text("status").notNull(),
    commit: text("commit"),
    mirrorId: text("mirror_id"),
    error: text("error"),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.etag] })],
);

/** Per role: runs, failures and the last run, for /api/mirrors/metrics. */
export const mirrorRuns = sqliteTable("mirror_runs", {
  role: text("role").primaryKey(),
  runs: integer("runs").notNull(),
  failures: integer("failures").notNull(),
  /** ok | failed */
  lastStatus: text("last_status").notNull(),
  lastStartedAt: integer("last_started_at").notNull(),
  lastDurationMs: integer("last_duration_ms").notNull(),
});
