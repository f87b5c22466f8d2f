// What passes between RepoObject, JobObject and the queue consumers: plain data only.

import type { FailureStrength } from "./errors";
import type { JobProgress, ProgressReport } from "./progress";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where a job is in its life, independent of its kind's states. */
export type JobPhase =
  | "held" // waiting in its repo's chain for the job before it
  | "queued" // its message is on the queue
  | "running" // a consumer holds the lease
  | "waiting" // a retry or a deferral is due at `nextAttemptAt`
  | "settled"; // final, or failed and waiting for an outside retry

/** What RepoObject asks JobObject to create. */
export interface JobSpec {
  id: string;
  kind: string;
  repoKey: string;
  repoId: string | null;
  repoUrl: string;
  input: Json;
  /** The event that started the job, if any. */
  eventId: string | null;
}

export interface Transition {
  at: number;
  from: string | null;
  to: string;
  reason: string;
}

export interface LogLine {
  at: number;
  level: "info" | "warning" | "error";
  line: string;
}

export interface JobRecord extends JobSpec {
  pipeline: string;
  state: string;
  phase: JobPhase;
  result: Json;
  /** Finished steps, so that a redelivered message does not redo them. */
  steps: Record<string, Json>;
  /** How many times a consumer has claimed the job. */
  attempts: number;
  /** Weak errors since the last success or manual retry. */
  retries: number;
  /** The lease a consumer must present; bumped on every claim so a lost consumer is shut out. */
  lease: number;
  /** Sequence of queue messages sent; only the newest may claim. */
  dispatch: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  nextAttemptAt: number | null;
  watchdogAt: number | null;
  /**
   * A wake that came while an attempt was still running (absent in records older than the field): the attempt's
   * deferral then dispatches at once instead of waiting. See JobObject.wake.
   */
  wakePending?: string | null;
  /** What the running attempt last reported of its progress (see core/progress.ts). */
  progress?: JobProgress | null;
  /** Bumped on every change, so the D1 mirror never goes backwards. */
  version: number;
}

export interface JobView extends JobRecord {
  transitions: Transition[];
  log: LogLine[];
}

/** The only thing a queue message carries. */
export interface JobMessage {
  job: string;
  dispatch: number;
}

/** A job as an event or a submit answers it. */
export interface JobRef {
  id: string;
  kind: string;
  /** True when the event joined a job that was already waiting. */
  coalesced?: boolean;
}

/** What a consumer's call gets back: either done, or why its lease no longer holds. */
export type Verdict = { ok: true; job: JobRecord } | { ok: false; reason: string };

/** The lease-checked calls a job's handler makes on its JobObject (through `JobContext`). */
export interface LeasedJob {
  move(lease: number, to: string, reason: string, result?: Json): Promise<Verdict>;
  log(lease: number, level: LogLine["level"], line: string): Promise<Verdict>;
  heartbeat(lease: number, note?: string, progress?: ProgressReport): Promise<Verdict>;
  step(lease: number, name: string, value: Json): Promise<Verdict>;
}

export type ClaimResult = { ok: true; job: JobRecord; lease: number } | { ok: false; reason: string };

/** A failure as a consumer reports it: errors lose their class across RPC, so the strength travels as data. */
export interface FailureReport {
  strength: FailureStrength;
  message: string;
  state?: string;
}

/** What JobObject's outbox carries out after a commit, by topic. */
export interface JobEffects {
  dispatch: JobMessage;
  sync: JobRecord;
  settled: SettledNotice & { repoKey: string };
  requeue: { repoKey: string; jobId: string; kind: string };
  /** The job's pipeline is told it settled (its kind's `onSettled`, see core/machine.ts). */
  pipeline: SettledNotice & { input: Json };
}

/** How RepoObject learns that a job of its chain has settled. */
export interface SettledNotice {
  jobId: string;
  kind: string;
  state: string;
  error: string | null;
}
