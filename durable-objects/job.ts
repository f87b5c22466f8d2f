// JobObject: the single writer of one job: its state machine, transitions, log, retries, watchdog,
// and the summary mirrored to D1. Consumers drive it by RPC, holding a lease; alarms drive the rest.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/env";
import type { Registry } from "../workers/kinds";
import { canMove, isFinal, isSettled, backoffDelay, type JobKind, type SettledJob } from "../workers/core/machine";
import { Outbox } from "../workers/core/outbox";
import { DoSchema } from "../workers/core/do-migrations";
import { remote } from "../workers/core/remote";
import { AppError, conflict, notFound, refuse, type Outcome } from "../workers/core/errors";
import type {
  ClaimResult,
  FailureReport,
  Json,
  JobEffects,
  JobMessage,
  JobRecord,
  JobSpec,
  JobView,
  LogLine,
  SettledNotice,
  Verdict,
} from "../workers/core/job";
import { JobHistory } from "./job-history";
import { JOB_SCHEMA, initialRecord } from "./job-record";
import { syncSummary } from "./job-summary";
import { nextProgress, type ProgressReport } from "../workers/core/progress";

/** The entry (workers/index.ts) subclasses it with its registry: the kinds this object judges its job by. */
export class JobObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox<JobEffects>;
  private readonly schema: DoSchema;
  private readonly history: JobHistory;
  private record: JobRecord | null;

  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly registry: Registry,
  ) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new DoSchema(ctx.storage, JOB_SCHEMA);
    this.history = new JobHistory(this.sql);
    this.outbox = new Outbox(ctx.storage, {
      dispatch: async (message: JobMessage) => void (await env.JOBS.send(message, { contentType: "json" })),
      sync: (record: JobRecord) => syncSummary(env.DB, record),
      settled: (notice: SettledNotice & { repoKey: string }) => remote(env.REPO, notice.repoKey).settled(notice),
      requeue: (p: { repoKey: string; jobId: string; kind: string }) =>
        remote(env.REPO, p.repoKey).requeue(p.jobId, p.kind),
      // The job's pipeline is told it settled (see SettleHook); a kind unregistered since has nobody to tell.
      pipeline: async (settled: SettledJob) => this.registry.kind(settled.kind)?.onSettled?.(settled, env),
    });
    this.record = this.stored();
  }

  // ---- RepoObject's calls ----

  /** Creates the job, held until its repo chain releases it. Idempotent. */
  async create(spec: JobSpec): Promise<JobRecord> {
    if (this.record) return this.record;
    const kind = this.registry.kind(spec.kind);
    if (!kind) throw new Error(`unknown job kind "${spec.kind}"`);
    if (!this.registry.isEnabled(kind.pipeline)) throw new Error(this.registry.disabledReason(kind.pipeline));
    const record = initialRecord(spec, kind, Date.now());
    this.schema.ensure();
    this.commit(() => {
      this.record = record;
      this.history.transition(null, kind.initial, "created");
      this.save();
    });
    await this.afterCommit();
    return this.record!;
  }

  /** The repo chain lets the job run: its message goes on the queue. Idempotent. */
  async release(): Promise<JobRecord> {
    const job = this.must();
    if (job.phase === "held") {
      this.commit(() => this.dispatch("released by its repo chain"));
      await this.afterCommit();
    }
    return this.must();
  }

  // ---- the consumer's calls (each checks the lease) ----

  /** A consumer picks up the job for the queue message `dispatch`. */
  async claim(dispatch: number): Promise<ClaimResult> {
    const job = this.record;
    if (!job) return { ok: false, reason: "no such job" };
    if (job.phase === "settled") return { ok: false, reason: `job already ${job.state}` };
    if (dispatch !== job.dispatch) return { ok: false, reason: "superseded message" };
    if (job.phase !== "queued" && job.phase !== "running") return { ok: false, reason: `job is ${job.phase}` };
    const kind = this.kind();
    const takeover = job.phase === "running";
    this.commit(() => {
      const now = Date.now();
      if (takeover) this.history.log("warning", `attempt ${job.attempts} was lost (message redelivered); taking over`);
      job.phase = "running";
      job.lease += 1;
      job.attempts += 1;
      job.startedAt ??= now;
      job.nextAttemptAt = null;
      job.watchdogAt = now + kind.heartbeatTimeoutMs;
      job.wakePending = null; // this attempt reads the world afresh
      this.save();
    });
    await this.afterCommit();
    return { ok: true, job: this.must(), lease: job.lease };
  }

  /** Proof of life: pushes the watchdog deadline out; may carry a progress report. */
  async heartbeat(lease: number, note?: string, progress?: ProgressReport): Promise<Verdict> {
    return this.leased(lease, (job) => {
      job.watchdogAt = Date.now() + this.kind().heartbeatTimeoutMs;
      if (progress) job.progress = nextProgress(job.progress, progress, Date.now());
      if (note) this.history.log("info", note);
    });
  }

  /** Moves the job to `to`; a final (or failed) state settles it. Illegal moves are refused and logged. */
  async move(lease: number, to: string, reason: string, result?: Json): Promise<Verdict> {
    const job = this.record;
    if (job && job.lease === lease && job.phase === "running" && !canMove(this.kind(), job.state, to)) {
      const line = `illegal transition ${job.state} → ${to} refused (${reason})`;
      this.commit(() => {
        this.history.log("error", line);
        this.save();
      });
      await this.afterCommit();
      return { ok: false, reason: line };
    }
    return this.leased(lease, (j) => {
      if (result !== undefined) j.result = result;
      this.changeState(to, reason);
      if (isSettled(this.kind(), to)) this.settle(to === this.kind().failed ? reason : null);
      else j.watchdogAt = Date.now() + this.kind().heartbeatTimeoutMs;
    });
  }

  /** Records a finished step so a redelivered message skips it. */
  async step(lease: number, name: string, value: Json): Promise<Verdict> {
    return this.leased(lease, (job) => {
      job.steps = { ...job.steps, [name]: value };
      job.watchdogAt = Date.now() + this.kind().heartbeatTimeoutMs;
    });
  }

  async log(lease: number, level: LogLine["level"], line: string): Promise<Verdict> {
    return this.leased(lease, () => this.history.log(level, line));
  }

  /** The consumer's attempt failed; the strength decides between retry, failure and a blameless end. */
  async fail(lease: number, report: FailureReport): Promise<Verdict> {
    return this.leased(lease, () => this.failNow(report));
  }

  /**
   * The consumer asks to be run again later without it counting as a failure (e.g. waiting for another job).
   * A wake that came while it ran (see `wake`) makes "later" now.
   */
  async defer(lease: number, untilMs: number, reason: string): Promise<Verdict> {
    return this.leased(lease, (job) => {
      if (job.wakePending) {
        const woken = job.wakePending;
        job.wakePending = null;
        job.watchdogAt = null;
        job.lease += 1;
        this.history.log("info", `not deferred (${reason}): woken while running: ${woken}`);
        return this.dispatch(`woken: ${woken}`);
      }
      job.phase = "waiting";
      job.nextAttemptAt = Math.max(untilMs, Date.now());
      job.watchdogAt = null;
      job.lease += 1;
      this.history.log("info", `deferred until ${new Date(job.nextAttemptAt).toISOString()}: ${reason}`);
    });
  }

  /** The consumer crashed with an untyped error; the queue redelivers the message (or dead-letters it). */
  async crashed(lease: number, message: string): Promise<void> {
    const job = this.record;
    if (!job || job.lease !== lease) return;
    this.commit(() => {
      this.history.log("error", `attempt ${job.attempts} crashed: ${message}`);
      this.save();
    });
    await this.afterCommit();
  }

  /** The dead-letter queue's consumer: the queue gave up delivering the message. */
  async deadLetter(dispatch: number, reason: string): Promise<JobRecord | null> {
    const job = this.record;
    if (!job) return null;
    if (job.dispatch === dispatch && (job.phase === "queued" || job.phase === "running")) {
      this.commit(() => {
        job.lease += 1;
        this.failNow({ strength: "strong", message: `message dead-lettered: ${reason}` });
        this.save();
      });
      await this.afterCommit();
    }
    return this.must();
  }

  // ---- admin and other objects ----

  view(): JobView | null {
    if (!this.record) return null;
    return { ...this.record, transitions: this.history.transitions(), log: this.history.lines() };
  }

  /**
   * Sends a failed job back to its initial state and into its repo chain again. `manual` retries need the
   * kind's permission; others (a forge coming back up) need the kind to declare `failed → initial`.
   */
  async retry(reason: string, manual: boolean): Promise<Outcome<JobRecord>> {
    const job = this.record;
    if (!job) return refuse(notFound("no such job"));
    const kind = this.kind();
    if (!this.registry.isEnabled(kind.pipeline))
      return refuse(conflict(this.registry.disabledReason(kind.pipeline), "pipeline_disabled"));
    if (manual && !kind.manualRetry)
      return refuse(conflict(`jobs of kind ${kind.kind} are not retried by hand`, "retry_not_allowed"));
    if (job.state !== kind.failed || job.phase !== "settled")
      return refuse(
        conflict(`job is ${job.state} (${job.phase}); only a ${kind.failed} job can be retried`, "not_retryable"),
      );
    if (!manual && !canMove(kind, job.state, kind.initial))
      return refuse(conflict(`jobs of kind ${kind.kind} do not leave ${kind.failed}`, "not_retryable"));
    this.commit(() => {
      this.changeState(kind.initial, reason, true);
      job.phase = "held";
      job.retries = 0;
      job.finishedAt = null;
      job.nextAttemptAt = null;
      this.outbox.add("requeue", { repoKey: job.repoKey, jobId: job.id, kind: job.kind });
      this.save();
    });
    await this.afterCommit();
    return { ok: true, value: this.must() };
  }

  /**
   * A job that is waiting for a retry runs now (e.g. its forge is reachable again, its build was taken).
   * A wake while an attempt still runs is kept, not lost: that attempt may be about to defer, waiting for this
   * very news (a builder can take a build before the attempt that queued it defers); its deferral then
   * dispatches at once. One pending wake, kept by the job's single owner: the waker sends once, never polls.
   */
  async wake(reason: string): Promise<JobRecord | null> {
    const job = this.record;
    if (!job) return null;
    if (job.phase === "waiting") {
      this.commit(() => this.dispatch(`woken: ${reason}`));
      await this.afterCommit();
    } else if (job.phase === "running" && !job.wakePending) {
      this.commit(() => {
        job.wakePending = reason;
        this.save();
      });
      await this.afterCommit();
    }
    return this.must();
  }

  /** The job's record as it stands (no history): what other objects and pipelines ask before deciding. */
  current(): JobRecord | null {
    return this.record;
  }

  async cancel(reason: string): Promise<Outcome<JobRecord>> {
    const job = this.record;
    if (!job) return refuse(notFound("no such job"));
    const kind = this.kind();
    if (isFinal(kind, job.state) || (job.state === kind.failed && job.phase === "settled"))
      return refuse(conflict(`job is already ${job.state}`, "already_final"));
    this.commit(() => {
      job.lease += 1; // a running consumer's next call is refused
      this.failNow({ strength: "strong", message: `cancelled: ${reason}` });
      this.save();
    });
    await this.afterCommit();
    return { ok: true, value: this.must() };
  }

  /** One alarm serves every deadline: a due retry, the watchdog, and pending effects. */
  override async alarm(): Promise<void> {
    const job = this.record;
    if (job) {
      const now = Date.now();
      if (job.phase === "waiting" && job.nextAttemptAt !== null && job.nextAttemptAt <= now) {
        this.commit(() => this.dispatch("retry due"));
      } else if (job.phase === "running" && job.watchdogAt !== null && job.watchdogAt <= now) {
        const silent = Math.round(this.kind().heartbeatTimeoutMs / 1000);
        this.commit(() => {
          job.lease += 1;
          this.failNow({ strength: "weak", message: `watchdog: no heartbeat for ${silent}s, the consumer was lost` });
          this.save();
        });
      }
    }
    await this.afterCommit();
  }

  // ---- internals ----

  private kind(): JobKind {
    const kind = this.registry.kind(this.must().kind);
    if (!kind) throw new Error(`job kind "${this.must().kind}" is no longer registered`);
    return kind;
  }

  private must(): JobRecord {
    if (!this.record) throw new AppError(404, "not_found", "no such job");
    return this.record;
  }

  /** Runs `change` only while `lease` is the current one and the job is running. */
  private async leased(lease: number, change: (job: JobRecord) => void): Promise<Verdict> {
    const job = this.record;
    if (!job) return { ok: false, reason: "no such job" };
    if (job.lease !== lease || job.phase !== "running")
      return { ok: false, reason: `lease ${lease} no longer holds (job is ${job.state}, ${job.phase})` };
    this.commit(() => {
      change(job);
      this.save();
    });
    await this.afterCommit();
    return { ok: true, job: this.must() };
  }

  private failNow(report: FailureReport): void {
    const job = this.must();
    const kind = this.kind();
    if (report.strength === "weak") {
      job.retries += 1;
      job.error = report.message;
      if (job.retries <= kind.maxRetries) {
        const delay = backoffDelay(kind, job.retries);
        job.phase = "waiting";
        job.nextAttemptAt = Date.now() + delay;
        job.watchdogAt = null;
        job.lease += 1;
        this.history.log(
          "warning",
          `retry ${job.retries}/${kind.maxRetries} in ${Math.round(delay / 1000)}s after: ${report.message}`,
        );
        return;
      }
      const message = `gave up after ${kind.maxRetries} retries: ${report.message}`;
      this.changeState(kind.failed, message);
      this.settle(message);
      return;
    }
    const fallback =
      report.strength === "strong" ? kind.failed : report.strength === "not_found" ? kind.notFound : kind.notForUs;
    const target = report.state && canMove(kind, job.state, report.state) ? report.state : fallback;
    if (job.state !== target) this.changeState(target, report.message);
    const blame = report.strength === "strong";
    this.history.log(blame ? "error" : "info", report.message);
    this.settle(blame ? report.message : null);
  }

  private changeState(to: string, reason: string, force = false): void {
    const job = this.must();
    if (!force && !canMove(this.kind(), job.state, to)) throw new Error(`illegal transition ${job.state} → ${to}`);
    this.history.transition(job.state, to, reason);
    job.state = to;
  }

  /** The job will do nothing more by itself: tell the repo chain so the next job may start. */
  private settle(error: string | null): void {
    const job = this.must();
    const now = Date.now();
    job.phase = "settled";
    job.finishedAt = now;
    job.watchdogAt = null;
    job.nextAttemptAt = null;
    job.wakePending = null;
    job.lease += 1;
    if (error) job.error = error;
    // The D1 summary first: listings show the outcome before the repo and the pipeline act on it.
    this.save();
    const notice: SettledNotice = { jobId: job.id, kind: job.kind, state: job.state, error };
    this.outbox.add("settled", { ...notice, repoKey: job.repoKey });
    // After the repo chain's notice: a pipeline's hook failing for a while must not hold up the repo's next job.
    if (this.kind().onSettled) this.outbox.add("pipeline", { ...notice, input: job.input });
  }

  private dispatch(reason: string): void {
    const job = this.must();
    job.phase = "queued";
    job.dispatch += 1;
    job.nextAttemptAt = null;
    this.history.log("info", `dispatched (message ${job.dispatch}): ${reason}`);
    this.outbox.add("dispatch", { job: job.id, dispatch: job.dispatch });
    this.save();
  }

  /** Writes the record and queues its D1 summary (one pending sync at a time, carrying the newest). */
  private save(): void {
    const job = this.must();
    job.version += 1;
    job.updatedAt = Date.now();
    this.sql.exec(`INSERT OR REPLACE INTO job (id, doc) VALUES (?, ?)`, job.id, JSON.stringify(job));
    this.outbox.add("sync", job, "sync");
  }

  /**
   * Runs `change` in one storage transaction. Changes work on the record in place, so a transaction that
   * throws (and rolls back) would leave it ahead of storage: it is read back from storage then.
   */
  private commit(change: () => void): void {
    try {
      this.ctx.storage.transactionSync(change);
    } catch (err) {
      this.record = this.stored();
      throw err;
    }
  }

  private stored(): JobRecord | null {
    const row = this.schema.exists
      ? this.sql.exec<{ doc: string }>(`SELECT doc FROM job LIMIT 1`).toArray()[0]
      : undefined;
    return row ? (JSON.parse(row.doc) as JobRecord) : null;
  }

  private async afterCommit(): Promise<void> {
    await this.outbox.drain();
    const job = this.record;
    const deadlines = [
      this.outbox.nextDue(),
      job?.phase === "waiting" ? job.nextAttemptAt : null,
      job?.phase === "running" ? job.watchdogAt : null,
    ].filter((t): t is number => t !== null);
    if (deadlines.length) await this.ctx.storage.setAlarm(Math.min(...deadlines));
    else await this.ctx.storage.deleteAlarm();
  }
}
