// The Worker's bindings and settings, as declared in wrangler.toml and .dev.vars.

import type { JobMessage } from "./core/job";

export interface Env {
  DB: D1Database;
  /** Content bytes keyed by sha1_git, and packs. */
  ARCHIVE: R2Bucket;
  /** Zips and build outputs. */
  ARTIFACTS: R2Bucket;
  /** Encrypted tarballs shared with the other partition. */
  SYNC: R2Bucket;
  /** Published sites. */
  SITES: R2Bucket;
  /** RepoObject, named by repo key; reach it with `remote<RepoObject>(env.REPO, key)`. */
  REPO: DurableObjectNamespace;
  /** JobObject, named by job id. */
  JOB: DurableObjectNamespace;
  /** ForgeObject, named by forge host. */
  FORGE: DurableObjectNamespace;
  JOBS: Queue<JobMessage>;
  /** Bearer token for every write on the admin API (secret). */
  ADMIN_TOKEN?: string;
  /** "true" lets outbound requests reach loopback hosts over http (local development only). */
  ALLOW_LOOPBACK?: string;
  /** Seconds before the queue redelivers a job whose consumer crashed; doubles per delivery (default 5). */
  CRASH_RETRY_SECONDS?: string;
  /** Comma-separated pipelines this deployment runs (default: all); see `enabledModules`. */
  PIPELINES?: string;
}
