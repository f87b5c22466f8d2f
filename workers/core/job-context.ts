// What a pipeline's job handler works with: its job's record and a lease-checked line to its JobObject.

import type { Env } from "../env";
import type { Json, JobRecord, LeasedJob, LogLine, Verdict } from "./job";

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
   * Runs `work` once per job: its result is recorded, and a redelivered message (or a retry)
   * gets the recorded result instead of running it again.
   */
  async step<T extends Json>(name: string, work: () => Promise<T>): Promise<T> {
    if (Object.hasOwn(this.record.steps, name)) return this.record.steps[name] as T;
    const value = await work();
    this.check(await this.stub.step(this.lease, name, value));
    return value;
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
