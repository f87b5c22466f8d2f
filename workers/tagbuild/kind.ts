// The `tagbuild` job kind: noticed → queued → building → uploaded | irrecoverable; noticed → not_for_us;
// any → failed (a later attempt may work) or irrecoverable. A failed job leaves `failed` only when its
// forge is up again (failed → noticed, by the cron's retry); nobody retries a tag by hand.

import { defineKind } from "../core/machine";
import { tagbuildSettled } from "./settled";

export const TAGBUILD = "tagbuild";

export const tagbuildKind = defineKind({
  kind: TAGBUILD,
  pipeline: TAGBUILD,
  states: ["noticed", "queued", "building", "uploaded", "irrecoverable", "not_for_us", "failed"],
  initial: "noticed",
  final: ["uploaded", "irrecoverable", "not_for_us"],
  transitions: {
    // A duplicate takes the status of the job it duplicates, from wherever it stands.
    noticed: ["queued", "uploaded", "irrecoverable", "not_for_us"],
    queued: ["building", "uploaded", "irrecoverable"],
    building: ["uploaded", "irrecoverable"],
    failed: ["noticed"],
  },
  failed: "failed",
  notFound: "irrecoverable",
  notForUs: "not_for_us",
  manualRetry: false,
  maxRetries: 3,
  heartbeatTimeoutMs: 2 * 60_000,
  onSettled: tagbuildSettled,
});

export type TagbuildState = (typeof tagbuildKind.states)[number];

/** States in which a job still holds (or may take) the build of its tag object. */
export const IN_PROGRESS = ["noticed", "queued", "building"] as const;
