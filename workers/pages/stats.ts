// The overview's aggregate reads, straight from D1's listing tables (the API has no counts): a few GROUP BY
// queries in one batch, bounded by time, whatever the number of jobs.

import type { Env } from "../env";
import { modules } from "../pipelines";

export const HOUR = 3600_000;

export interface Overview {
  at: number;
  reposByForge: { host: string; repos: number; withError: number }[];
  forges: { host: string; kind: string; reachable: boolean; lastFailure: string | null; downSince: number | null }[];
  /** Unfinished jobs now, by pipeline and phase (held, queued, running, waiting). */
  active: { pipeline: string; phase: string; jobs: number }[];
  /** Finished jobs by pipeline over the last hour and day. */
  finished: { pipeline: string; hour: number; hourFailed: number; day: number; dayFailed: number }[];
  /** 24 hourly buckets per pipeline, oldest first: finished, failed, mean and longest duration. */
  hourly: Record<string, { finished: number; failed: number; meanMs: number | null; maxMs: number | null }[]>;
  lastErrors: {
    id: string;
    kind: string;
    repoId: string | null;
    repoUrl: string;
    status: string;
    error: string;
    at: number;
  }[];
  repoErrors: { id: string; url: string; error: string; at: number | null }[];
}

/** The state each job kind fails into, from the explicit pipeline list. */
export function failedStates(): string[] {
  return [...new Set(modules.flatMap((m) => m.pipeline.kinds.map((k) => k.failed)))];
}

export async function overview(env: Pick<Env, "DB">, now = Date.now()): Promise<Overview> {
  const dayAgo = now - 24 * HOUR;
  const hourAgo = now - HOUR;
  const failed = JSON.stringify(failedStates());
  const db = env.DB;
  const [byForge, forges, active, finished, hourly, lastErrors, repoErrors] = await db.batch([
    db.prepare(
      `SELECT host, COUNT(*) AS repos, SUM(error IS NOT NULL) AS withError FROM repos GROUP BY host ORDER BY host LIMIT 200`,
    ),
    db.prepare(
      `SELECT host, kind, reachable, last_failure AS lastFailure, down_since AS downSince FROM forges ORDER BY reachable, host LIMIT 200`,
    ),
    db.prepare(`SELECT pipeline, phase, COUNT(*) AS jobs FROM jobs WHERE phase != 'settled' GROUP BY pipeline, phase`),
    db
      .prepare(
        `SELECT pipeline, SUM(finished_at >= ?1) AS hour, SUM(finished_at >= ?1 AND status IN (SELECT value FROM json_each(?3))) AS hourFailed,
           COUNT(*) AS day, SUM(status IN (SELECT value FROM json_each(?3))) AS dayFailed
         FROM jobs WHERE finished_at >= ?2 GROUP BY pipeline`,
      )
      .bind(hourAgo, dayAgo, failed),
    db
      .prepare(
        `SELECT pipeline, CAST((finished_at - ?1) / ${HOUR} AS INTEGER) AS bucket, COUNT(*) AS finished,
           SUM(status IN (SELECT value FROM json_each(?2))) AS failed,
           AVG(finished_at - started_at) AS meanMs, MAX(finished_at - started_at) AS maxMs
         FROM jobs WHERE finished_at >= ?1 GROUP BY pipeline, bucket`,
      )
      .bind(dayAgo, failed),
    db.prepare(
      `SELECT id, kind, repo_id AS repoId, repo_url AS repoUrl, status, error, updated_at AS at FROM jobs
       WHERE error IS NOT NULL ORDER BY updated_at DESC LIMIT 10`,
    ),
    db.prepare(
      `SELECT id, url, error, error_at AS at FROM repos WHERE error IS NOT NULL ORDER BY error_at DESC LIMIT 10`,
    ),
  ]);
  const charts: Overview["hourly"] = {};
  for (const m of modules) charts[m.pipeline.name] = emptyDay();
  for (const r of hourly!.results as {
    pipeline: string;
    bucket: number;
    finished: number;
    failed: number;
    meanMs: number | null;
    maxMs: number | null;
  }[]) {
    const day = (charts[r.pipeline] ??= emptyDay());
    const slot = day[Math.min(23, Math.max(0, r.bucket))]!;
    slot.finished += r.finished;
    slot.failed += r.failed ?? 0;
    slot.meanMs = r.meanMs === null ? slot.meanMs : Math.round(r.meanMs);
    slot.maxMs = r.maxMs === null ? slot.maxMs : Math.max(slot.maxMs ?? 0, r.maxMs);
  }
  return {
    at: now,
    reposByForge: byForge!.results as Overview["reposByForge"],
    forges: (forges!.results as (Omit<Overview["forges"][number], "reachable"> & { reachable: number })[]).map((f) => ({
      ...f,
      reachable: !!f.reachable,
    })),
    active: active!.results as Overview["active"],
    finished: finished!.results as Overview["finished"],
    hourly: charts,
    lastErrors: lastErrors!.results as Overview["lastErrors"],
    repoErrors: repoErrors!.results as Overview["repoErrors"],
  };
}

function emptyDay(): Overview["hourly"][string] {
  return Array.from({ length: 24 }, () => ({ finished: 0, failed: 0, meanMs: null, maxMs: null }));
}
