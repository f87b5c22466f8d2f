// One visit of an origin, as a job of kind `archive`: open the visit, read the last snapshot, list the remote's
// refs, fetch only what is new (streamed to R2 while parsed), store objects in the archive's order, record the
// snapshot last, and close the visit as full (partial when the server cannot send some refs), not_found or failed.

import { GitError } from "../git";
import type { JobContext } from "../core/job-context";
import { LeaseLost, Deferred } from "../core/job-context";
import { JobError, messageOf, strong, summarize, weak } from "../core/errors";
import { archiveKind } from "./kind";
import { openVisit, setVisitStatus, MissingObjectsError } from "./store";
import { DEFAULT_CONTENT_SIZE_LIMIT } from "./convert";
import { BadObjectError, IncompletePackError } from "./loader-objects";
import { StagedPackError } from "./loader-pack";
import { visitInSteps } from "./visit-steps";
import type { StepBudget } from "./step-meter";
import type { VisitEnv, VisitInput, VisitOutcome } from "./visit-model";
import { recordVisitOutcome, visitStarted } from "./scheduler-table";

export type { VisitEnv, VisitInput, VisitOutcome } from "./visit-model";

export function parseVisitInput(input: unknown): VisitInput {
  const i = input as Partial<VisitInput> | null;
  if (!i || typeof i.origin !== "string" || typeof i.cloneUrl !== "string")
    throw strong("archive job input needs { origin, cloneUrl }");
  const trigger = i.trigger === "webhook" || i.trigger === "scheduler" || i.trigger === "save" ? i.trigger : "save";
  const limit =
    Number.isInteger(i.maxContentBytes) && i.maxContentBytes! > 0 ? { maxContentBytes: i.maxContentBytes } : {};
  const step: Partial<StepBudget> = {};
  for (const k of ["objects", "subrequests", "cpuMs"] as const) {
    const v = i.step?.[k];
    if (Number.isInteger(v) && v! > 0) step[k] = v;
  }
  return {
    origin: i.origin,
    cloneUrl: i.cloneUrl,
    trigger,
    recurrent: i.recurrent !== false,
    ...limit,
    ...(Object.keys(step).length ? { step } : {}),
  };
}

/** ARCHIVE_MAX_CONTENT_BYTES (default 100 MiB), lowered by the repo's own limit if it has one. */
export function maxContentBytes(env: VisitEnv, input: VisitInput): number {
  const n = Number(env.ARCHIVE_MAX_CONTENT_BYTES);
  const deployment = env.ARCHIVE_MAX_CONTENT_BYTES && Number.isInteger(n) && n > 0 ? n : DEFAULT_CONTENT_SIZE_LIMIT;
  return Math.min(deployment, input.maxContentBytes ?? deployment);
}

/** The job handler of kind `archive`. */
export async function runVisit(ctx: JobContext, env: VisitEnv): Promise<void> {
  const input = parseVisitInput(ctx.input());
  let { visit } = await openVisit(env, input.origin, { jobId: ctx.id });
  // A job retried by hand after its visit failed gets a new visit: a final visit never changes.
  if (visit.status !== "created" && visit.status !== "ongoing" && visit.status !== "full")
    ({ visit } = await openVisit(env, input.origin, { jobId: `${ctx.id}/${ctx.job.attempts}` }));
  const n = visit.visit;
  if (ctx.state === "created") await ctx.to("ongoing", `visit ${n} of ${input.origin}`);
  await visitStarted(env, input, ctx.id, Date.now());
  if (visit.status === "created") await setVisitStatus(env, input.origin, n, "ongoing");
  try {
    // Recorded once done: a redelivered message finishes the job without visiting again.
    // Each call runs one step (ending the invocation with ctx.later until the last); the outcome is recorded once.
    const outcome = await ctx.step("visit", () => visitInSteps(ctx, env, input, n, maxContentBytes(env, input)));
    await recordVisitOutcome(env, input, outcome.result, Date.now());
    await ctx.to(outcome.status, `visit ${n}: ${outcome.result}, snapshot ${outcome.snapshot}`, outcome);
  } catch (err) {
    if (err instanceof LeaseLost || err instanceof Deferred) throw err;
    await endInError(ctx, env, input, n, err);
  }
}

/** A visit that cannot finish: not_found ends the job without blame, anything else fails the visit. */
async function endInError(
  ctx: JobContext,
  env: VisitEnv,
  input: VisitInput,
  n: number,
  err: unknown,
): Promise<never | void> {
  const message = describe(err);
  const kind = classify(err);
  if (kind === "gone") {
    await setVisitStatus(env, input.origin, n, "not_found", { error: message });
    await recordVisitOutcome(env, input, "not_found", Date.now());
    const outcome: VisitOutcome = {
      result: "uneventful",
      status: "not_found",
      origin: input.origin,
      visit: n,
      snapshot: null,
      packFetched: false,
      packBytes: 0,
      objects: 0,
      counts: {},
      steps: 0,
      stepTotals: {},
    };
    await ctx.to("not_found", summarize(message, 500), outcome);
    return;
  }
  // A weak error is retried by the job engine; the visit stays ongoing unless this was the last try.
  const lastTry = kind === "strong" || ctx.job.retries >= archiveKind.maxRetries;
  if (lastTry) {
    await setVisitStatus(env, input.origin, n, "failed", { error: message }).catch(() => {});
    await recordVisitOutcome(env, input, "failed", Date.now()).catch(() => {});
  } else {
    await ctx.warn(`visit ${n}: ${message} (will retry)`);
  }
  throw kind === "strong" ? strong(message) : weak(message);
}

type Severity = "gone" | "weak" | "strong";

/** Answers that say "there is no git repository here" (a web page, a dumb-HTTP server): not found, not a failure. */
const NOT_A_REPO = new Set(["not_smart_http", "dumb_http"]);

function classify(err: unknown): Severity {
  if (err instanceof GitError) return NOT_A_REPO.has(err.reason) ? "gone" : err.strength;
  if (err instanceof JobError) return err.strength === "weak" ? "weak" : err.strength === "strong" ? "strong" : "gone";
  if (
    err instanceof BadObjectError ||
    err instanceof IncompletePackError ||
    err instanceof MissingObjectsError ||
    err instanceof StagedPackError
  )
    return "strong";
  // Anything else (storage hiccups, a lost connection to a binding) may pass: retry.
  return "weak";
}

function describe(err: unknown): string {
  if (err instanceof GitError) return `${err.message}${err.status ? ` (HTTP ${err.status})` : ""}`;
  return messageOf(err);
}
