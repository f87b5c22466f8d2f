// A visit in bounded steps: the first lists the remote's refs and plans what to fetch (the plan kept in R2),
// each step loads as much of the pack as its budget allows and checkpoints in the JobObject, then ends the
// invocation so the next step starts afresh; the last stores the snapshot. A crash loses at most one step.
//
// R2 key (bucket ARCHIVE): staging/<origin key>/<visit>/plan.json: the listed refs and wants of the visit.

import type { ProgressReport } from "../core/progress";
import { GitError, listRefs } from "../git";
import type { JobContext } from "../core/job-context";
import { messageOf, strong } from "../core/errors";
import type { Json } from "../core/job";
import { setVisitStatus, storeSnapshot } from "./store";
import { lastSnapshot } from "./lookup";
import { snapshotId } from "./manifest";
import {
  branchesOf,
  keptRefs,
  refTargets,
  snapshotHaves,
  snapshotTargets,
  type KeptRefs,
  type TargetType,
} from "./loader-refs";
import { loadStep, resultOf, type LoadProgress } from "./loader";
import { packPrefix } from "./loader-pack";
import { StepMeter, stepBudget } from "./step-meter";
import type { VisitEnv, VisitInput, VisitOutcome } from "./visit-model";

/** What the first step decided, kept in R2 for the steps after it. */
interface VisitPlan {
  direct: [string, string][];
  aliases: [string, string][];
  /** Types of the last snapshot's targets (known objects), by id. */
  types: [string, TargetType][];
  wants: string[];
  haves: string[];
  lastSnapshot: string | null;
  unservable: string[];
}

/** The checkpoint between steps (in the JobObject). */
interface VisitCheckpoint {
  visit: number;
  steps: number;
  load: LoadProgress | null;
  totals: StepTotals;
}

interface StepTotals {
  [key: string]: number;
  objects: number;
  maxSubrequests: number;
  subrequests: number;
  r2Writes: number;
  d1Statements: number;
  ms: number;
}

const MAX_UNSERVABLE = 20;
const HEARTBEAT_MS = 15_000;
const planKey = async (origin: string, visit: number) =>
  `${(await packPrefix(origin, visit)).replace(/^packs\//, "staging/")}plan.json`;

/** Runs the next step of visit `n`; answers the outcome after the last, else ends the invocation (`ctx.later`). */
export async function visitInSteps(
  ctx: JobContext,
  env: VisitEnv,
  input: VisitInput,
  n: number,
  maxContentBytes: number,
): Promise<VisitOutcome> {
  const saved = ctx.checkpoint("visit") as VisitCheckpoint | undefined;
  // A job retried by hand after a failed visit gets a new visit: an older visit's checkpoint is not its own.
  let cp: VisitCheckpoint = saved && saved.visit === n ? saved : { visit: n, steps: 0, load: null, totals: noTotals() };
  const meter = new StepMeter(stepBudget(env, input.step));
  const menv = meter.wrap(env);
  const key = await planKey(input.origin, n);
  let plan: VisitPlan;
  if (cp.steps === 0 && !cp.load) {
    plan = await planVisit(ctx, menv, input, meter);
    await menv.ARCHIVE.put(key, JSON.stringify(plan));
  } else {
    const stored = await menv.ARCHIVE.get(key);
    if (!stored) throw strong(`the plan of visit ${n} (${key}) is missing from R2`);
    plan = (await stored.json()) as VisitPlan;
  }
  let load = cp.load;
  const beat = heartbeat(ctx);
  while (plan.wants.length && load?.phase !== "done") {
    try {
      const req = {
        origin: input.origin,
        cloneUrl: input.cloneUrl,
        visit: n,
        wants: plan.wants,
        haves: plan.haves,
        maxContentBytes,
        progress: beat,
      };
      load = await loadStep(menv, req, load, meter);
    } catch (err) {
      // Refs the server advertises but cannot serve (its repo is broken): the rest is archived, the visit is partial.
      const oid = load ? null : notServed(err);
      if (!oid || !plan.wants.includes(oid) || plan.unservable.length >= MAX_UNSERVABLE) throw err;
      plan.unservable.push(oid);
      plan.wants = plan.wants.filter((w) => w !== oid);
      await menv.ARCHIVE.put(key, JSON.stringify(plan));
      await ctx.warn(
        `the server advertises ${oid} (${refsTo(plan.direct, oid).join(", ")}) but cannot send it; archiving the other refs`,
      );
      continue;
    }
    if (load.phase === "done") break;
    cp = { visit: n, steps: cp.steps + 1, load, totals: addStep(cp.totals, meter) };
    await ctx.log(stepLine(cp.steps, meter, load));
    await ctx.saveCheckpoint("visit", cp as unknown as Json);
    ctx.later(Date.now(), `visit ${n}: step ${cp.steps} done (${load.phase} goes on in the next step)`);
  }
  const outcome = await finishVisit(menv, input, n, plan, load);
  const totals = addStep(cp.totals, meter);
  const steps = cp.steps + 1;
  const c = load?.counts;
  await ctx.log(
    load && c
      ? `${stepLine(steps, meter, load)}; pack ${load.pack.checksum}: ${load.objects} objects, ${load.pack.bytes} bytes; stored ${c.contents} contents ` +
          `(${c.skippedContents} skipped) in ${load.contentPacks} content pack(s), ${c.directories} directories, ${c.revisions} revisions, ` +
          `${c.releases} releases; seconds: ${Object.entries(load.timings)
            .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)}`)
            .join(", ")}; ` +
          `${load.spillReads} delta bases re-read from R2`
      : `step ${steps}: no pack needed, ${meter.subrequests} subrequests, ${meter.elapsedMs} ms`,
  );
  return { ...outcome, steps, stepTotals: totals };
}

async function planVisit(ctx: JobContext, env: VisitEnv, input: VisitInput, meter: StepMeter): Promise<VisitPlan> {
  const last = await lastSnapshot(env, input.origin);
  meter.fetched();
  const listing = await listRefs(input.cloneUrl);
  const kept = keptRefs(listing.refs);
  const types = snapshotTargets(last?.branches);
  const wants = refTargets(kept).filter((oid) => !types.has(oid));
  await ctx.log(
    `listed ${listing.refs.length} refs (protocol v${listing.protocol}), kept ${kept.direct.size} + ${kept.aliases.size} aliases; ` +
      `${wants.length} new target(s)${last ? `, last snapshot ${last.id}` : ", first visit"}`,
  );
  return {
    direct: [...kept.direct],
    aliases: [...kept.aliases],
    types: [...types],
    wants,
    haves: snapshotHaves(last?.branches),
    lastSnapshot: last?.id ?? null,
    unservable: [],
  };
}

async function finishVisit(
  env: VisitEnv,
  input: VisitInput,
  n: number,
  plan: VisitPlan,
  load: LoadProgress | null,
): Promise<VisitOutcome> {
  const kept: KeptRefs = { direct: new Map(plan.direct), aliases: new Map(plan.aliases) };
  const types = new Map<string, TargetType>(plan.types);
  for (const [oid, type] of Object.entries(load?.found ?? {})) types.set(oid, type);
  const dropped = plan.unservable.flatMap((oid) => refsTo(plan.direct, oid));
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
  const error = dropped.length
    ? `the server could not send the objects of ${dropped.length} ref(s): ${dropped.slice(0, 5).join(", ")}`
    : null;
  await setVisitStatus(env, input.origin, n, status, { snapshot: id, error });
  await env.ARCHIVE.delete(await planKey(input.origin, n));
  const loaded = load ? resultOf(load) : null;
  return {
    result: plan.lastSnapshot !== id ? "eventful" : "uneventful",
    status,
    origin: input.origin,
    visit: n,
    snapshot: id,
    packFetched: loaded !== null,
    packBytes: loaded?.bytes ?? 0,
    objects: loaded?.objects ?? 0,
    counts: { ...(loaded?.counts ?? {}) },
    steps: 0,
    stepTotals: {},
    ...(dropped.length ? { unservableRefs: dropped } : {}),
  };
}

function noTotals(): StepTotals {
  return { objects: 0, maxSubrequests: 0, subrequests: 0, r2Writes: 0, d1Statements: 0, ms: 0 };
}

function addStep(t: StepTotals, m: StepMeter): StepTotals {
  return {
    objects: t.objects + m.objects,
    maxSubrequests: Math.max(t.maxSubrequests, m.subrequests),
    subrequests: t.subrequests + m.subrequests,
    r2Writes: t.r2Writes + m.r2Writes,
    d1Statements: t.d1Statements + m.d1Statements,
    ms: t.ms + m.elapsedMs,
  };
}

function stepLine(k: number, m: StepMeter, load: LoadProgress): string {
  return `step ${k}: ${m.objects} objects, ${m.subrequests} subrequests (${m.r2Writes} R2 writes, ${m.d1Statements} D1 statements), ${m.elapsedMs} ms; now ${load.phase}`;
}

/** A heartbeat at most every HEARTBEAT_MS: the watchdog's proof of life during a long step. */
function heartbeat(ctx: JobContext): (note: string, report?: ProgressReport) => Promise<void> {
  let beat = Date.now();
  return async (note, report) => {
    // The progress bar's report is throttled by the context itself and counts as a heartbeat too.
    if (report) return ctx.progress(report);
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

function refsTo(direct: [string, string][], oid: string): string[] {
  return direct.filter(([, target]) => target === oid).map(([name]) => name);
}
