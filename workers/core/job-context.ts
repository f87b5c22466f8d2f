// What a pipeline's job handler works with: its job's record and a lease-checked line to its JobObject.

import type { Env } from "../env";
import type { Json, JobRecord, LeasedJob, LogLine, Verdict } from "./job";
import type { ProgressReport } from "./progress";

/** Progress reports reach the JobObject at most this often (a phase change or the last of a phase always does). */
const PROGRESS_EVERY_MS = 1000;

/** The lease no longer holds (job cancelled, taken over after a watchdog, or already finished): stop quietly. */
export class LeaseLost extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "LeaseLost";
  }
}

/** Thrown by `ctx.later()`: run the job again at `until` without counting a failure. */
export class Deferred extends Error {
  constructor(
    readonly until: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "Deferred";
  }
}

export type JobHandler = (ctx: JobContext, env: Env) => Promise<void>;

export class JobContext {
  private lastProgress: { phase: string; sentAt: number } | null = null;

  constructor(
    private record: JobRecord,
    private readonly stub: LeasedJob,
    readonly lease: number,
  ) {}

  get job(): JobRecord {
    return this.record;
  }

  get id(): string {
    return this.record.id;
  }

  get state(): string {
    return this.record.state;
  }

  input<T>(): T {
    return this.record.input as T;
  }

  /** Moves the job to `state` (checked against its kind); a final state finishes it. */
  async to(state: string, reason: string, result?: Json): Promise<void> {
    this.check(await this.stub.move(this.lease, state, reason, result));
  }

  async log(line: string, level: LogLine["level"] = "info"): Promise<void> {
    this.check(await this.stub.log(this.lease, level, line));
  }

  warn(line: string): Promise<void> {
    return this.log(line, "warning");
  }

  async heartbeat(note?: string): Promise<void> {
    this.check(await this.stub.heartbeat(this.lease, note));
  }

  /**
   * Reports how far the attempt is (phase, done of total): shown as the job's progress bar, with rate and time
   * left; it also counts as a heartbeat. Call it as often as you like: it is sent at most once a second.
   */
  async progress(report: ProgressReport): Promise<void> {
    const now = Date.now();
    const last = this.lastProgress;
    const edge = !last || last.phase !== report.phase || (report.total != null && report.done >= report.total);
    if (!edge && now - last.sentAt < PROGRESS_EVERY_MS) return;
    this.lastProgress = { phase: report.phase, sentAt: now };
    this.check(await this.stub.heartbeat(this.lease, undefined, report));
  }

  /**
   * Runs `work` once per job: its result is recorded, and a redelivered message (or a retry)
   * gets the recorded result instead of running it again.
   */
  async step<T extends Json>(name: string, work: () => Promise<T>): Promise<T> {
    if (Object.hasOwn(this.record.steps, name)) return this.record.steps[name] as T;
    const value = await work();
    this.check(await this.stub.step(this.lease, name, value));
    return value;
  }

  /**
   * The value last saved with `saveCheckpoint(name)` by this job (an earlier step, in another invocation), if any.
   * Work that outgrows one invocation runs in steps: each saves where it got to, and the next continues from there.
   */
  checkpoint<T extends Json>(name: string): T | undefined {
    const key = `checkpoint:${name}`;
    return Object.hasOwn(this.record.steps, key) ? (this.record.steps[key] as T) : undefined;
  }

  /** Saves (replaces) the checkpoint `name` in the JobObject. */
  async saveCheckpoint(name: string, value: Json): Promise<void> {
    this.check(await this.stub.step(this.lease, `checkpoint:${name}`, value));
  }

  /** Ends this attempt and runs the job again at `until`, without counting it as a failure. */
  later(until: number, reason: string): never {
    throw new Deferred(until, reason);
  }

  private check(verdict: Verdict): void {
    if (!verdict.ok) throw new LeaseLost(verdict.reason);
    this.record = verdict.job;
  }
}
