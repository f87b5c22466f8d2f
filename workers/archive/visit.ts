// One visit of an origin, as a job of kind `archive`: open the visit, read the last snapshot, list the remote's
// refs, fetch only what is new (streamed to R2 while parsed), store objects in the archive's order, record the
// snapshot last, and close the visit as full (partial when the server cannot send some refs), not_found or failed.

import { GitError, listRefs } from "../git";
import type { JobContext } from "../core/job-context";
import { LeaseLost, Deferred } from "../core/job-context";
import { JobError, messageOf, strong, summarize, weak } from "../core/errors";
import { archiveKind } from "./kind";
import { openVisit, setVisitStatus, storeSnapshot, MissingObjectsError, type ArchiveEnv } from "./store";
import { lastSnapshot } from "./lookup";
import { snapshotId } from "./manifest";
import { DEFAULT_CONTENT_SIZE_LIMIT } from "./convert";
import { branchesOf, keptRefs, refTargets, snapshotHaves, snapshotTargets } from "./loader-refs";
import { BadObjectError, IncompletePackError } from "./loader-objects";
import { loadPack, type LoadResult } from "./loader";
import { recordVisitOutcome, visitStarted } from "./scheduler-table";
import type { Json } from "../core/job";
import type { ProgressReport } from "../core/progress";

export interface VisitEnv extends ArchiveEnv {
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
}

const HEARTBEAT_MS = 15_000;

export function parseVisitInput(input: unknown): VisitInput {
  const i = input as Partial<VisitInput> | null;
  if (!i || typeof i.origin !== "string" || typeof i.cloneUrl !== "string")
    throw strong("archive job input needs { origin, cloneUrl }");
  const trigger = i.trigger === "webhook" || i.trigger === "scheduler" || i.trigger === "save" ? i.trigger : "save";
  const limit = Number.isInteger(i.maxContentBytes) && i.maxContentBytes! > 0 ? { maxContentBytes: i.maxContentBytes } : {};
  return { origin: i.origin, cloneUrl: i.cloneUrl, trigger, recurrent: i.recurrent !== false, ...limit };
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
    const outcome = await ctx.step("visit", () => visitOnce(ctx, env, input, n));
    await recordVisitOutcome(env, input, outcome.result, Date.now());
    await ctx.to(outcome.status, `visit ${n}: ${outcome.result}, snapshot ${outcome.snapshot}`, outcome);
  } catch (err) {
    if (err instanceof LeaseLost || err instanceof Deferred) throw err;
    await endInError(ctx, env, input, n, err);
  }
}

async function visitOnce(ctx: JobContext, env: VisitEnv, input: VisitInput, n: number): Promise<VisitOutcome> {
  const last = await lastSnapshot(env, input.origin);
  const listing = await listRefs(input.cloneUrl);
  const kept = keptRefs(listing.refs);
  const types = snapshotTargets(last?.branches);
  let wants = refTargets(kept).filter((oid) => !types.has(oid));
  await ctx.log(
    `listed ${listing.refs.length} refs (protocol v${listing.protocol}), kept ${kept.direct.size} + ${kept.aliases.size} aliases; ` +
      `${wants.length} new target(s)${last ? `, last snapshot ${last.id}` : ", first visit"}`,
  );
  let loaded: LoadResult | null = null;
  // Refs the server advertises but cannot serve (its repo is broken): the rest is archived, the visit is partial.
  const unservable: string[] = [];
  while (wants.length) {
    try {
      loaded = await loadPack(env, {
        origin: input.origin,
        cloneUrl: input.cloneUrl,
        visit: n,
        wants,
        haves: snapshotHaves(last?.branches),
        maxContentBytes: maxContentBytes(env, input),
        progress: heartbeat(ctx),
      });
      for (const [oid, type] of loaded.wanted) types.set(oid, type);
      const c = loaded.counts;
      await ctx.log(
        `pack ${loaded.checksum}: ${loaded.objects} objects, ${loaded.bytes} bytes; stored ${c.contents} contents (${c.skippedContents} skipped), ` +
          `${c.directories} directories, ${c.revisions} revisions, ${c.releases} releases; seconds: ` +
          Object.entries(loaded.timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)}`).join(", ") +
          `; ${loaded.spillReads} delta bases re-read from R2`,
      );
      break;
    } catch (err) {
      const oid = notServed(err);
      if (!oid || !wants.includes(oid) || unservable.length >= MAX_UNSERVABLE) throw err;
      unservable.push(oid);
      wants = wants.filter((w) => w !== oid);
      await ctx.warn(`the server advertises ${oid} (${refsTo(kept.direct, oid).join(", ")}) but cannot send it; archiving the other refs`);
    }
  }
  const dropped = unservable.flatMap((oid) => refsTo(kept.direct, oid));
  for (const name of dropped) kept.direct.delete(name);
  let branches;
  try {
    branches = branchesOf(kept, (oid) => types.get(oid));
  } catch (err) {
    throw strong(messageOf(err));
  }
  const id = snapshotId(branches);
  await storeSnapshot(env, { id, branches });
  const status = dropped.length ? "partial" : "full";
  const error = dropped.length ? `the server could not send the objects of ${dropped.length} ref(s): ${dropped.slice(0, 5).join(", ")}` : null;
  await setVisitStatus(env, input.origin, n, status, { snapshot: id, error });
  const eventful = last?.id !== id;
  return {
    result: eventful ? "eventful" : "uneventful",
    status,
    origin: input.origin,
    visit: n,
    snapshot: id,
    packFetched: loaded !== null,
    packBytes: loaded?.bytes ?? 0,
    objects: loaded?.objects ?? 0,
    counts: { ...(loaded?.counts ?? {}) },
    ...(dropped.length ? { unservableRefs: dropped } : {}),
  };
}

const MAX_UNSERVABLE = 20;

/**
 * A heartbeat at most every HEARTBEAT_MS: the watchdog's proof of life during a long load. A progress report
 * goes to the job's progress bar instead (the context sends it at most once a second; it is a heartbeat too).
 */
function heartbeat(ctx: JobContext): (note: string, report?: ProgressReport) => Promise<void> {
  let beat = Date.now();
  return async (note, report) => {
    if (report) {
      await ctx.progress(report);
      beat = Date.now();
      return;
    }
    if (Date.now() - beat < HEARTBEAT_MS) return;
    beat = Date.now();
    await ctx.heartbeat(note);
  };
}

/** The object a server refused to send because it does not have it (`upload-pack: not our ref <id>`). */
function notServed(err: unknown): string | null {
  if (!(err instanceof GitError)) return null;
  return /not our ref ([0-9a-f]{40})/.exec(err.message)?.[1] ?? null;
}

function refsTo(direct: Map<string, string>, oid: string): string[] {
  return [...direct].filter(([, target]) => target === oid).map(([name]) => name);
}

/** A visit that cannot finish: not_found ends the job without blame, anything else fails the visit. */
async function endInError(ctx: JobContext, env: VisitEnv, input: VisitInput, n: number, err: unknown): Promise<never | void> {
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
  if (err instanceof BadObjectError || err instanceof IncompletePackError || err instanceof MissingObjectsError) return "strong";
  // Anything else (storage hiccups, a lost connection to a binding) may pass: retry.
  return "weak";
}

function describe(err: unknown): string {
  if (err instanceof GitError) return `${err.message}${err.status ? ` (HTTP ${err.status})` : ""}`;
  return messageOf(err);
}
