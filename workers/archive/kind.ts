// The job kind of a visit: created → ongoing → full / partial / failed / not_found (the visit statuses).

import { defineKind } from "../core/machine";
import { visitJobSettled } from "./scheduler-table";
import { ARCHIVE } from "./plan";

export const archiveKind = defineKind({
  kind: ARCHIVE,
  pipeline: ARCHIVE,
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
  onSettled: visitJobSettled,
});
