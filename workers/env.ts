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
  /** BuildersObject, one instance named "builders": the tag-build builders' WebSockets and build queue. */
  BUILDERS: DurableObjectNamespace;
  /** RegistryObject, named by forge host: the registry's event stream. */
  REGISTRY: DurableObjectNamespace;
  /** WorkflowObject, named by workflow id (ULID): one run of move-repo, freeze-repo or unfreeze-repo. */
  WORKFLOW: DurableObjectNamespace;
  /** Registry: comma-separated tokens observers present to report a move's released/acquired and repo errors (secret). */
  OBSERVER_TOKENS?: string;
  /** Registry: seconds a move waits for an observer's released or acquired before going on without it (default 600). */
  WORKFLOW_OBSERVER_SECONDS?: string;
  JOBS: Queue<JobMessage>;
  /** Bearer token for every write on the admin API (secret). */
  ADMIN_TOKEN?: string;
  /** "true" lets outbound requests reach loopback hosts over http (local development only). */
  ALLOW_LOOPBACK?: string;
  /** Seconds before the queue redelivers a job whose consumer crashed; doubles per delivery (default 5). */
  CRASH_RETRY_SECONDS?: string;
  /** Comma-separated pipelines this deployment runs (default: all); see `enabledModules`. */
  PIPELINES?: string;
  /** Tag builds: how far in the future a tagger timestamp may be (default 15m; seconds or 15m/72h/3d). */
  TAG_SLOP?: string;
  /** Tag builds: how old a tagger timestamp may be, and how long job rows are kept (default 72h). */
  TAG_MAX_AGE?: string;
  /** Tag builds: the largest tag object fetched, in bytes (default 1048576). */
  TAG_MAX_BYTES?: string;
  /** Tag builds: comma-separated tokens builders present as `Authorization: Bearer <token>` (secret). */
  BUILDER_TOKENS?: string;
  /** Tag builds: seconds between `ayt` polls of an idle builder (default 30). */
  BUILDER_AYT_SECONDS?: string;
  /** Tag builds: seconds a builder has to answer `ayt` with `ack` (default 10). */
  BUILDER_ACK_SECONDS?: string;
  /** Tag builds: seconds a builder may hold a build before it is dropped and the job ends irrecoverable (default 21600). */
  BUILD_TIMEOUT_SECONDS?: string;
}
