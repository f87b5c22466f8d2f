// D1 tables of the tag-build room: one row per tag-build job (kept at least TAG_MAX_AGE: replay protection
// depends on it), and which job owns the build of each tag object id (coalescing).

import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const tagbuildJobs = sqliteTable(
  "tagbuild_jobs",
  {
    /** The JobObject's id (ULID). */
    id: text("id").primaryKey(),
    repoId: text("repo_id"),
    repoUrl: text("repo_url").notNull(),
    cloneUrl: text("clone_url").notNull(),
    host: text("host").notNull(),
    tagName: text("tag_name").notNull(),
    /** The id the webhook said was pushed (null when the payload carried none). */
    pushedId: text("pushed_id"),
    /** The tag object id, once fetched and confirmed by hashing. */
    objectId: text("object_id"),
    /** Why the pipeline ended the job, when it did (a job its JobObject ended has the JobObject's error). */
    reason: text("reason"),
    /** The job whose outcome this one took, when it was a duplicate. */
    duplicateOf: text("duplicate_of"),
    distro: text("distro").notNull(),
    source: text("source"),
    version: text("version"),
    upstreamTag: text("upstream_tag"),
    upstream: text("upstream"),
    /** The commit the tag points at. */
    commitId: text("commit_id"),
    tagger: text("tagger"),
    taggerAt: integer("tagger_at"),
    builder: text("builder"),
    /** JSON array of `{ at, text }` public messages from the builder. */
    messages: text("messages", { mode: "json" }).$type<{ at: number; text: string }[]>().notNull(),
    /** When a job failed because its forge was down: the earliest time a retry may happen. */
    retryEarliest: integer("retry_earliest"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** When a builder took the build. (The job's own state and times are its JobObject's: see `jobs`.) */
    buildingAt: integer("building_at"),
  },
  (t) => [
    index("tagbuild_jobs_object").on(t.objectId),
    index("tagbuild_jobs_repo").on(t.repoUrl, t.id),
    index("tagbuild_jobs_created").on(t.createdAt),
  ],
);

/** Which job owns the build of a tag object: never two at once on one object id. */
export const tagbuildClaims = sqliteTable("tagbuild_claims", {
  objectId: text("object_id").primaryKey(),
  jobId: text("job_id").notNull(),
  claimedAt: integer("claimed_at").notNull(),
});
