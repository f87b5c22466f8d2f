// The job kind of a visit: created → ongoing → full / partial / failed / not_found (the visit statuses).

import { defineKind } from "../core/machine";
import type { PlannedJob } from "../core/pipeline";

export const archiveKind = defineKind({
  kind: "archive",
  pipeline: "archive",
  states: ["created", "ongoing", "full", "partial", "failed", "not_found"],
  initial: "created",
  final: ["full", "partial", "not_found"],
  transitions: { created: ["ongoing"], ongoing: ["full", "partial"] },
  failed: "failed",
  notFound: "not_found",
  manualRetry: true,
  // Large packs parse for minutes; the loader heartbeats every 15 s.
  heartbeatTimeoutMs: 10 * 60_000,
  maxRetries: 3,
  backoffBaseMs: 30_000,
  backoffMaxMs: 30 * 60_000,
});

/** A visit of an origin as a planned job. Waiting visits of one origin coalesce: one visit fetches everything new. */
export function plannedVisit(
  origin: string,
  cloneUrl: string,
  trigger: "webhook" | "scheduler" | "save",
  recurrent = true,
  maxContentBytes?: number,
): PlannedJob {
  const input = { origin, cloneUrl, trigger, recurrent, ...(maxContentBytes ? { maxContentBytes } : {}) };
  return { kind: archiveKind.kind, input, coalesce: "visit" };
}
