// What a visit is asked (the job input of kind `archive`), what it needs of the Worker's settings, and what it answers.

import type { Json } from "../core/job";
import type { ArchiveEnv } from "./store";
import type { StepBudget, StepSettings } from "./step-meter";

export interface VisitEnv extends ArchiveEnv, StepSettings {
  ALLOW_LOOPBACK?: string;
  /** Contents over this many bytes are kept as skipped contents (default 100 MiB). */
  ARCHIVE_MAX_CONTENT_BYTES?: string;
}

/** What a job of kind `archive` is asked to do. */
export interface VisitInput {
  /** The origin URL (the repo's canonical URL). */
  origin: string;
  /** Where to fetch it from over smart HTTP. */
  cloneUrl: string;
  trigger: "webhook" | "scheduler" | "save";
  /** Whether the scheduler keeps visiting the origin (default true). */
  recurrent?: boolean;
  /** The repo's own content size limit, if lower than the deployment's. */
  maxContentBytes?: number;
  /** The repo's own step budget, where lower than the deployment's (ARCHIVE_STEP_*). */
  step?: Partial<StepBudget>;
}

export interface VisitOutcome {
  [key: string]: Json;
  result: "eventful" | "uneventful";
  status: "full" | "partial" | "not_found";
  origin: string;
  visit: number;
  snapshot: string | null;
  /** True when the remote's refs all pointed to known objects: no pack was fetched. */
  packFetched: boolean;
  packBytes: number;
  objects: number;
  counts: { [key: string]: number };
  /** Steps (invocations) the visit took, and what they spent in all (maxSubrequests: the largest step's). */
  steps: number;
  stepTotals: { [key: string]: number };
}
