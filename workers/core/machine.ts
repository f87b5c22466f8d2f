// The job state-machine engine: a kind declares its states and transitions; the engine checks every move.

import type { Env } from "../env";
import type { Json, SettledNotice } from "./job";

/** What a pipeline is told when one of its jobs settles: which, in what state, why, and the job's input. */
export interface SettledJob extends SettledNotice {
  input: Json;
}

/**
 * How a pipeline learns that one of its jobs settled, by whatever path (its own handler, the watchdog, retries
 * used up, a dead letter, a cancel): the JobObject calls it through its outbox after the settling transaction
 * commits, and again until it succeeds, so it must be idempotent. The pipeline reacts (frees what the job held,
 * wakes what waited for it); it keeps no copy of the job's state, which stays the JobObject's alone.
 */
export type SettleHook = (job: SettledJob, env: Env) => Promise<void>;

export interface JobKindSpec {
  /** The job kind, e.g. `archive`, `tagbuild`, `mirror-produce`. */
  kind: string;
  /** The repo chain the kind runs in: two jobs of one pipeline never run at once on one repo. */
  pipeline: string;
  states: readonly string[];
  initial: string;
  final: readonly string[];
  /** Allowed moves, besides the engine's own (see `canMove`). */
  transitions: Readonly<Record<string, readonly string[]>>;
  /** Where a strong error, an exhausted retry budget, a dead-lettered message or a cancel ends. */
  failed: string;
  /** Where "the thing does not exist" ends, without blame; defaults to `failed`. */
  notFound?: string;
  /** Where "this event is not meant for us" ends, without blame; defaults to `notFound`. */
  notForUs?: string;
  /** Whether an admin may send a job in `failed` back to `initial`. */
  manualRetry?: boolean;
  /** A running job silent for this long is taken as lost and retried. */
  heartbeatTimeoutMs?: number;
  /** Weak errors are retried at most this many times (default 5). */
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Called once the job settles (see SettleHook). */
  onSettled?: SettleHook;
}

export interface JobKind extends Required<Omit<JobKindSpec, "notFound" | "notForUs" | "onSettled">> {
  notFound: string;
  notForUs: string;
  onSettled?: SettleHook;
}

export function defineKind(spec: JobKindSpec): JobKind {
  const states = new Set(spec.states);
  const check = (state: string, where: string) => {
    if (!states.has(state)) throw new Error(`job kind ${spec.kind}: ${where} names unknown state "${state}"`);
  };
  check(spec.initial, "initial");
  check(spec.failed, "failed");
  spec.final.forEach((s) => check(s, "final"));
  if (spec.notFound) check(spec.notFound, "notFound");
  if (spec.notForUs) check(spec.notForUs, "notForUs");
  for (const [from, tos] of Object.entries(spec.transitions)) {
    check(from, "transitions");
    tos.forEach((to) => check(to, `transitions.${from}`));
    if (spec.final.includes(from)) throw new Error(`job kind ${spec.kind}: final state "${from}" has transitions`);
  }
  if (spec.final.includes(spec.initial)) throw new Error(`job kind ${spec.kind}: initial state is final`);
  const notFound = spec.notFound ?? spec.failed;
  return Object.freeze({
    manualRetry: false,
    heartbeatTimeoutMs: 5 * 60_000,
    maxRetries: 5,
    backoffBaseMs: 10_000,
    backoffMaxMs: 10 * 60_000,
    ...spec,
    notFound,
    notForUs: spec.notForUs ?? notFound,
  });
}

export function isFinal(kind: JobKind, state: string): boolean {
  return kind.final.includes(state);
}

/** Settled: the job will do nothing more by itself (final, or failed and waiting for an outside retry). */
export function isSettled(kind: JobKind, state: string): boolean {
  return isFinal(kind, state) || state === kind.failed;
}

/**
 * Whether `from → to` is allowed. Besides the declared transitions, every unfinished state may move to
 * the kind's failed, not-found and not-for-us states, and a manual retry may send `failed` back to `initial`.
 */
export function canMove(kind: JobKind, from: string, to: string): boolean {
  if (isFinal(kind, from)) return false;
  if (kind.transitions[from]?.includes(to)) return true;
  if (from !== kind.failed && (to === kind.failed || to === kind.notFound || to === kind.notForUs)) return true;
  return from === kind.failed && to === kind.initial && kind.manualRetry;
}

/** Exponential backoff with equal jitter: half the step is fixed, half random. `retry` counts from 1. */
export function backoffDelay(kind: JobKind, retry: number, random = Math.random()): number {
  const step = Math.min(kind.backoffMaxMs, kind.backoffBaseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + (step / 2) * random);
}
