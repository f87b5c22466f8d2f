// D1 table of the publish room: one row per build (a publish job), with the normalized manifest it found and
// what it converted. The build's status is its JobObject's (joined from `jobs`); this row holds the rest.

import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const publishBuilds = sqliteTable(
  "publish_builds",
  {
    /** The JobObject's id (ULID). */
    id: text("id").primaryKey(),
    repoId: text("repo_id"),
    owner: text("owner").notNull(),
    repo: text("repo").notNull(),
    /** Full ref name, e.g. `refs/heads/master`. */
    ref: text("ref").notNull(),
    commitId: text("commit_id"),
    /** Normalized Resource Container fields, for listing. */
    identifier: text("identifier"),
    resourceType: text("resource_type"),
    title: text("title"),
    language: text("language"),
    direction: text("direction"),
    manifestSource: text("manifest_source"),
    /** The whole normalized manifest (JSON). */
    manifest: text("manifest"),
    filesConverted: integer("files_converted"),
    filesReused: integer("files_reused"),
    warnings: integer("warnings"),
    errors: integer("errors"),
    /** Path of the build's site under /u/, once deployed. */
    sitePath: text("site_path"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("publish_builds_repo").on(t.owner, t.repo, t.id), index("publish_builds_repo_id").on(t.repoId, t.id)],
);
