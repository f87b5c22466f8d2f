// ForgeObject: one per forge host: whether the forge is reachable. Pipelines report failures here;
// while the forge is down, a preflight check runs on an alarm at increasing intervals, and the jobs
// waiting for the forge are woken when it answers again.

import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import type { Env } from "../workers/env";
import { Outbox } from "../workers/core/outbox";
import { DoSchema, type SchemaSpec } from "../workers/core/do-migrations";
import { remote } from "../workers/core/remote";
import type { JobObject } from "./job";
import { checkOutboundUrl, outboundPolicy } from "../workers/core/outbound";
import { messageOf, summarize } from "../workers/core/errors";
import { forges } from "../schema";

export interface Reachability {
  host: string;
  up: boolean;
  /** Consecutive failed checks or reports since the forge was last seen up. */
  failures: number;
  lastFailure: string | null;
  lastFailureAt: number | null;
  downSince: number | null;
  lastCheckAt: number | null;
  nextPreflightAt: number | null;
  /** The URL the preflight check fetches: the one whose failure was reported. */
  probeUrl: string | null;
  /** Jobs to wake when the forge is up again. */
  waiting: number;
}

/** 30 s, 1 min, 2 min, … capped at 1 h. */
const FIRST_INTERVAL_MS = 30_000;
const MAX_INTERVAL_MS = 60 * 60_000;
const PREFLIGHT_TIMEOUT_MS = 10_000;

/** The reachability record and its waiters (see do-migrations.ts): never edit a step, append one. */
export const FORGE_SCHEMA: SchemaSpec = {
  name: "forge",
  legacyTable: "forge",
  steps: [
    `CREATE TABLE IF NOT EXISTS forge (host TEXT PRIMARY KEY, doc TEXT NOT NULL);
       CREATE TABLE IF NOT EXISTS waiters (job_id TEXT PRIMARY KEY, since INTEGER NOT NULL);`,
  ],
};

export function preflightInterval(failures: number): number {
  return Math.min(MAX_INTERVAL_MS, FIRST_INTERVAL_MS * 2 ** Math.max(0, failures - 1));
}

export class ForgeObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox<{ wake: { jobId: string; host: string }; sync: Reachability }>;
  private readonly schema: DoSchema;
  private state: Reachability | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new DoSchema(ctx.storage, FORGE_SCHEMA);
    this.outbox = new Outbox(ctx.storage, {
      wake: (p: { jobId: string; host: string }) =>
        remote<JobObject>(env.JOB, p.jobId)
          .wake(`forge ${p.host} is reachable again`)
          .then(() => {}),
      sync: (s: Reachability) => this.syncRow(s),
    });
    const row = this.schema.exists
      ? this.sql.exec<{ doc: string }>(`SELECT doc FROM forge LIMIT 1`).toArray()[0]
      : undefined;
    this.state = row ? (JSON.parse(row.doc) as Reachability) : null;
  }

  status(host: string): Reachability {
    return this.state ?? fresh(host);
  }

  /**
   * A pipeline could not reach the forge (connection refused, timeout, 5xx). Marks it down and schedules
   * the first preflight check of `probeUrl`. `jobId`, if given, is woken when the forge is up again.
   */
  async reportFailure(host: string, probeUrl: string, reason: string, jobId?: string): Promise<Reachability> {
    const now = Date.now();
    this.schema.ensure();
    this.ctx.storage.transactionSync(() => {
      const s = this.state ?? fresh(host);
      const wasUp = s.up;
      s.up = false;
      s.failures += 1;
      s.lastFailure = summarize(reason, 500);
      s.lastFailureAt = now;
      s.downSince ??= now;
      s.probeUrl = probeUrl;
      // A report while already down does not pull the next check closer than its backoff.
      if (wasUp || s.nextPreflightAt === null) s.nextPreflightAt = now + preflightInterval(s.failures);
      if (jobId) this.sql.exec(`INSERT OR IGNORE INTO waiters (job_id, since) VALUES (?, ?)`, jobId, now);
      this.save(s);
    });
    await this.afterCommit();
    return this.status(host);
  }

  /** A pipeline reached the forge: it is up; waiting jobs are woken. */
  async reportSuccess(host: string): Promise<Reachability> {
    if (this.state && !this.state.up) {
      this.ctx.storage.transactionSync(() => this.markUp(this.state!));
      await this.afterCommit();
    }
    return this.status(host);
  }

  /** Adds a job to wake when the forge is up; returns false (and adds nothing) if it is up now. */
  async waitForUp(host: string, jobId: string): Promise<boolean> {
    if (!this.state || this.state.up) return false;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`INSERT OR IGNORE INTO waiters (job_id, since) VALUES (?, ?)`, jobId, Date.now());
      this.save(this.state!);
    });
    await this.afterCommit();
    return true;
  }

  /** Runs the preflight check now (the alarm does it on schedule). */
  async preflight(): Promise<Reachability | null> {
    const s = this.state;
    if (!s || s.up || !s.probeUrl) return s;
    let failure: string | null = null;
    try {
      checkOutboundUrl(s.probeUrl, outboundPolicy(this.env), "probe URL");
      const res = await fetch(s.probeUrl, {
        method: "GET",
        redirect: "manual",
        signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS),
      });
      await res.body?.cancel();
      // Any answer below 500 means the forge is serving again, even a 404 for a repo that went away.
      if (res.status >= 500) failure = `preflight: HTTP ${res.status}`;
    } catch (err) {
      failure = `preflight: ${messageOf(err)}`;
    }
    this.ctx.storage.transactionSync(() => {
      const now = Date.now();
      s.lastCheckAt = now;
      if (failure) {
        s.failures += 1;
        s.lastFailure = summarize(failure, 500);
        s.lastFailureAt = now;
        s.nextPreflightAt = now + preflightInterval(s.failures);
        this.save(s);
      } else {
        this.markUp(s);
      }
    });
    await this.afterCommit();
    return this.state;
  }

  override async alarm(): Promise<void> {
    const s = this.state;
    if (s && !s.up && s.nextPreflightAt !== null && s.nextPreflightAt <= Date.now()) await this.preflight();
    else await this.afterCommit();
  }

  private markUp(s: Reachability): void {
    s.up = true;
    s.failures = 0;
    s.downSince = null;
    s.nextPreflightAt = null;
    const waiters = this.sql.exec<{ job_id: string }>(`SELECT job_id FROM waiters ORDER BY since`).toArray();
    for (const w of waiters) this.outbox.add("wake", { jobId: w.job_id, host: s.host });
    this.sql.exec(`DELETE FROM waiters`);
    this.save(s);
  }

  private save(s: Reachability): void {
    s.waiting = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM waiters`).one().n;
    this.state = s;
    this.sql.exec(`INSERT OR REPLACE INTO forge (host, doc) VALUES (?, ?)`, s.host, JSON.stringify(s));
    this.outbox.add("sync", s, "sync");
  }

  private async afterCommit(): Promise<void> {
    await this.outbox.drain();
    const deadlines = [this.outbox.nextDue(), this.state && !this.state.up ? this.state.nextPreflightAt : null].filter(
      (t): t is number => t !== null,
    );
    if (deadlines.length) await this.ctx.storage.setAlarm(Math.min(...deadlines));
    else await this.ctx.storage.deleteAlarm();
  }

  private async syncRow(s: Reachability): Promise<void> {
    // The forge may not be registered (an archive origin on any host); then there is no row to update.
    await drizzle(this.env.DB)
      .update(forges)
      .set({ reachable: s.up, lastFailure: s.lastFailure, downSince: s.downSince })
      .where(eq(forges.host, s.host));
  }
}

function fresh(host: string): Reachability {
  return {
    host,
    up: true,
    failures: 0,
    lastFailure: null,
    lastFailureAt: null,
    downSince: null,
    lastCheckAt: null,
    nextPreflightAt: null,
    probeUrl: null,
    waiting: 0,
  };
}
