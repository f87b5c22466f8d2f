// D1 table of job summaries, mirrored from each JobObject for listing and filtering.

import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    pipeline: text("pipeline").notNull(),
    repoId: text("repo_id"),
    repoUrl: text("repo_url").notNull(),
    /** The kind's state, e.g. `queued`, `full`, `uploaded`. */
    status: text("status").notNull(),
    /** held | queued | running | waiting | settled */
    phase: text("phase").notNull(),
    attempts: integer("attempts").notNull(),
    /** First line of the last error, at most 120 characters; the JobObject keeps the whole. */
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    nextAttemptAt: integer("next_attempt_at"),
    version: integer("version").notNull(),
  },
  (t) => [
    index("jobs_kind_status").on(t.kind, t.status, t.id),
    index("jobs_repo").on(t.repoId, t.id),
    index("jobs_status").on(t.status, t.id),
  ],
);
