// The JobObject's stored record: the versioned tables it lives in (with its history), and its first shape.

import type { SchemaSpec } from "../workers/core/do-migrations";
import type { JobKind } from "../workers/core/machine";
import type { JobRecord, JobSpec } from "../workers/core/job";
import { HISTORY_TABLES } from "./job-history";

/** The record and its history (see do-migrations.ts): never edit a step, append one. */
export const JOB_SCHEMA: SchemaSpec = {
  name: "job",
  legacyTable: "job",
  steps: [
    `
  CREATE TABLE IF NOT EXISTS job (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  ${HISTORY_TABLES}`,
  ],
};

/** A new job, held until its repo chain releases it. */
export function initialRecord(spec: JobSpec, kind: JobKind, now: number): JobRecord {
  return {
    ...spec,
    pipeline: kind.pipeline,
    state: kind.initial,
    phase: "held",
    result: null,
    steps: {},
    attempts: 0,
    retries: 0,
    lease: 0,
    dispatch: 0,
    error: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    nextAttemptAt: null,
    watchdogAt: null,
    wakePending: null,
    version: 0,
  };
}
