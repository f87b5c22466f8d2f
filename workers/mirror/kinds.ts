// The mirror's job kinds: pending → running → done, a weak failure retried with backoff (then failed,
// retryable by hand), bad data or a vanished source rejected at once.

import { defineKind } from "../core/machine";

const shape = {
  pipeline: "mirror",
  states: ["pending", "running", "done", "failed", "rejected"],
  initial: "pending",
  final: ["done", "rejected"],
  transitions: { pending: ["running"], running: ["done", "rejected"] },
  failed: "failed",
  notFound: "rejected",
  manualRetry: true,
  heartbeatTimeoutMs: 10 * 60_000,
  backoffBaseMs: 30_000,
} as const;

export const produceKind = defineKind({ kind: "mirror-produce", ...shape });
export const consumeKind = defineKind({ kind: "mirror-consume", ...shape });

/** What a mirror-produce job is about: every mirror of one source branch. */
export interface ProduceInput {
  sourceUrl: string;
  branch: string;
}

/** What a mirror-consume job is about: one object of the SYNC bucket, as of one etag. */
export interface ConsumeInput {
  key: string;
  etag: string;
}
