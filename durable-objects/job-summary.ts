// The D1 row mirroring a job, for listings: written after each change, never older over newer (version guard).

import { drizzle } from "drizzle-orm/d1";
import { sql as raw } from "drizzle-orm";
import { summarize } from "../workers/core/errors";
import type { JobRecord } from "../workers/core/job";
import { jobs } from "../schema";

export async function syncSummary(db: D1Database, job: JobRecord): Promise<void> {
  const row = {
    id: job.id,
    kind: job.kind,
    pipeline: job.pipeline,
    repoId: job.repoId,
    repoUrl: job.repoUrl,
    status: job.state,
    phase: job.phase,
    attempts: job.attempts,
    error: job.error ? summarize(job.error) : null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    nextAttemptAt: job.nextAttemptAt,
    version: job.version,
  };
  const { id, ...changes } = row;
  await drizzle(db)
    .insert(jobs)
    .values(row)
    .onConflictDoUpdate({ target: jobs.id, set: changes, setWhere: raw`excluded.version > ${jobs.version}` });
}
