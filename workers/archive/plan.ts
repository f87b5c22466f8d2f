// A visit of an origin as a planned job (apart from the kind, so that the scheduler, which the kind's settle
// hook calls, can plan visits without importing the kind).

import type { PlannedJob } from "../core/pipeline";

/** The archive's pipeline and its one job kind. */
export const ARCHIVE = "archive";

/** A visit of an origin as a planned job. Waiting visits of one origin coalesce: one visit fetches everything new. */
export function plannedVisit(
  origin: string,
  cloneUrl: string,
  trigger: "webhook" | "scheduler" | "save",
  recurrent = true,
  maxContentBytes?: number,
  step?: { objects?: number; subrequests?: number; cpuMs?: number },
): PlannedJob {
  const input = {
    origin,
    cloneUrl,
    trigger,
    recurrent,
    ...(maxContentBytes ? { maxContentBytes } : {}),
    ...(step ? { step } : {}),
  };
  return { kind: ARCHIVE, input, coalesce: "visit" };
}
