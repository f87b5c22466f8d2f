// The `tagbuild` job handler. First attempt (noticed): check what the webhook said, fetch and confirm the
// tag object, read its metadata, coalesce with other jobs on the same object, queue the build with the
// builders hub. Later attempts (woken by the hub): follow the build to building and to its outcome. What
// happens once the job settles, by any path, is in settled.ts.

import type { Env } from "../env";
import type { JobContext, JobHandler } from "../core/job-context";
import { JobError, messageOf } from "../core/errors";
import { remote } from "../core/remote";
import { findForgeCached } from "../api/forge-store";
import { GitError, tokenAuth } from "../git";
import type { ForgeObject } from "../../durable-objects/forge";
import type { BuildersObject, BuildStatus } from "../../durable-objects/builders";
import type { JobObject } from "../../durable-objects/job";
import { checkTagName, readMetadata } from "./metadata";
import { checkTaggerTime, readTagObject } from "./tag-object";
import { tagbuildSettings } from "./settings";
import { fetchTagObject, lookUpTag } from "./fetch-tag";
import { claimObject, earlierDeliveries, insertRow, updateRow, type TagbuildPatch } from "./store";

export interface TagbuildInput {
  tagName: string;
  /** The object id the webhook said was pushed; null when the payload carried none. */
  pushedId: string | null;
  deleted: boolean;
  /** The tag message, when the payload carried it. */
  message: string | null;
  distro: string;
  repoUrl: string;
  cloneUrl: string;
  host: string;
}

/** The name of the one builders hub. */
export const HUB = "builders";
/** How long a job waits before looking again by itself (a wake normally comes much sooner). */
const RECHECK_MS = 10 * 60_000;
/** A waiting job is woken when the holder settles; this recheck only covers a wake that was lost. */
const COALESCE_RECHECK_MS = 60_000;

export function buildersHub(env: Env) {
  return remote<BuildersObject>(env.BUILDERS, HUB);
}

export const runTagbuild: JobHandler = async (ctx, env) => {
  const input = ctx.input<TagbuildInput>();
  if (ctx.state === "noticed") return notice(ctx, env, input);
  if (ctx.state === "queued" || ctx.state === "building") return follow(ctx, env);
  throw new JobError("strong", `a tagbuild job in state ${ctx.state} has nothing to do`);
};

async function notice(ctx: JobContext, env: Env, input: TagbuildInput): Promise<void> {
  const settings = tagbuildSettings(env);
  const maxBytes = Number(env.TAG_MAX_BYTES ?? "") || 1024 * 1024;
  const now = Date.now();
  await insertRow(env.DB, {
    id: ctx.id,
    repoId: ctx.job.repoId,
    repoUrl: input.repoUrl,
    cloneUrl: input.cloneUrl,
    host: input.host,
    tagName: input.tagName,
    pushedId: input.pushedId,
    objectId: null,
    reason: null,
    duplicateOf: null,
    distro: input.distro,
    source: null,
    version: null,
    upstreamTag: null,
    upstream: null,
    commitId: null,
    tagger: null,
    taggerAt: null,
    builder: null,
    retryEarliest: null,
    createdAt: ctx.job.createdAt,
    buildingAt: null,
  });
  if (ctx.job.attempts > 1) await updateRow(env.DB, ctx.id, { retryEarliest: null, reason: null });

  // Before any git traffic.
  if (input.deleted) return end(ctx, env, "not_for_us", `tag ${input.tagName} was deleted`);
  if (input.message !== null) {
    const early = readMetadata(input.message, input.distro);
    if (!early.ok && "notForUs" in early) return end(ctx, env, "not_for_us", early.notForUs);
  }

  const forge = await findForgeCached(env.DB, input.host);
  const auth = forge?.token ? tokenAuth(forge.token) : undefined;
  const git = await forgeCall(ctx, env, input, async () => {
    const found = await lookUpTag(input.cloneUrl, input.tagName, auth);
    return found;
  });
  if (!git) return;
  if (!git.found) return end(ctx, env, "irrecoverable", `tag ${input.tagName} does not exist in ${input.repoUrl}`);
  if (input.pushedId && git.id !== input.pushedId)
    return end(
      ctx,
      env,
      "irrecoverable",
      `tag object id mismatch: refs/tags/${input.tagName} names ${git.id}, the push said ${input.pushedId}`,
    );
  const objectId = git.id;
  await updateRow(env.DB, ctx.id, { objectId });

  // The same tag object delivered to this repo again: ignored (a new version is the way to build again),
  // unless the earlier delivery failed or was not for us.
  const stateOf = async (id: string) => (await remote<JobObject>(env.JOB, id).current())?.state ?? null;
  for (const earlier of await earlierDeliveries(env.DB, ctx.id, input.repoUrl, objectId)) {
    const state = await stateOf(earlier);
    if (state !== null && state !== "failed" && state !== "not_for_us")
      return end(
        ctx,
        env,
        "not_for_us",
        `tag object ${objectId} was already delivered for this repo (job ${earlier}); ignored`,
        {
          duplicateOf: earlier,
        },
      );
  }

  // Never two jobs at once on one tag object.
  const claim = await claimObject(env.DB, objectId, ctx.id, stateOf);
  if (!claim.owner) {
    const holder = claim.holder;
    // A holder that ended not_for_us (the tag carries no request for us) decides for every delivery of the object.
    if (holder.state === "uploaded" || holder.state === "irrecoverable" || holder.state === "not_for_us")
      return end(ctx, env, holder.state, `duplicate of job ${holder.id} (${holder.state})`, { duplicateOf: holder.id });
    // Woken when the holder settles (settled.ts).
    return ctx.later(
      Date.now() + COALESCE_RECHECK_MS,
      `waiting for job ${holder.id}, which holds tag object ${objectId}`,
    );
  }

  const fetched = await forgeCall(ctx, env, input, () =>
    fetchTagObject(input.cloneUrl, objectId, { auth, filter: git.filter, maxBytes }),
  );
  if (!fetched) return;
  await remote<ForgeObject>(env.FORGE, input.host).reportSuccess(input.host);

  let facts;
  try {
    facts = readTagObject(fetched.bytes);
  } catch (err) {
    return end(ctx, env, "irrecoverable", `bad tag object: ${messageOf(err)}`);
  }
  const taggerPatch: TagbuildPatch = {
    commitId: facts.object,
    tagger: `${facts.tagger.name} <${facts.tagger.email}>`,
    taggerAt: facts.tagger.timestamp * 1000,
  };
  if (facts.tag !== input.tagName)
    return end(
      ctx,
      env,
      "irrecoverable",
      `the tag object is named ${facts.tag} but was pushed as ${input.tagName}`,
      taggerPatch,
    );
  if (facts.type !== "commit")
    return end(ctx, env, "irrecoverable", `the tag points at a ${facts.type}, not a commit`, taggerPatch);
  const stale = checkTaggerTime(facts.tagger.timestamp, now, settings.maxAgeMs, settings.slopMs);
  if (stale) return end(ctx, env, "irrecoverable", stale, taggerPatch);
  const meta = readMetadata(facts.message, input.distro);
  if (!meta.ok) {
    if ("notForUs" in meta) return end(ctx, env, "not_for_us", meta.notForUs, taggerPatch);
    return end(ctx, env, "irrecoverable", `bad metadata: ${meta.invalid}`, taggerPatch);
  }
  const nameProblem = checkTagName(input.tagName, meta.request);
  if (nameProblem) return end(ctx, env, "irrecoverable", nameProblem, taggerPatch);

  await updateRow(env.DB, ctx.id, {
    ...taggerPatch,
    source: meta.request.source,
    version: meta.request.version,
    upstreamTag: meta.request.upstreamTag,
    upstream: meta.request.upstream,
  });
  // The hub first (idempotent): a crash between the two leaves a job that redoes this attempt, never a
  // queued job whose tag bytes nobody holds.
  const status = await buildersHub(env).submit({
    jobId: ctx.id,
    source: meta.request.source,
    repoUrl: input.repoUrl,
    tag: fetched.bytes,
  });
  await ctx.to(
    "queued",
    `tag ${objectId} confirmed; ${meta.request.source} ${meta.request.version} queued for a builder`,
  );
  // A builder taking it now wakes the job even before this attempt defers (the wake is kept pending).
  return advance(ctx, env, status);
}

/** A later attempt: the hub woke the job (or its recheck came due). */
async function follow(ctx: JobContext, env: Env): Promise<void> {
  const status = await buildersHub(env).status(ctx.id);
  if (!status) return end(ctx, env, "irrecoverable", "the builders hub has no record of this build");
  return advance(ctx, env, status);
}

async function advance(ctx: JobContext, env: Env, status: BuildStatus): Promise<void> {
  if ((status.state === "building" || status.state === "done") && ctx.state === "queued") {
    await updateRow(env.DB, ctx.id, { builder: status.builder, buildingAt: Date.now() });
    await ctx.to("building", `builder ${status.builder} took the build`);
    // The progress bar of a build has only a start: "building since".
    await ctx.progress({ phase: `building on ${status.builder}`, done: 0 });
  }
  if (status.state === "done" && status.outcome) {
    // The hub's record goes once the job has settled (settled.ts).
    return end(ctx, env, status.outcome, status.reason ?? status.outcome, { messages: status.messages });
  }
  return ctx.later(
    Date.now() + RECHECK_MS,
    status.state === "building" ? `building on ${status.builder}` : "waiting for a builder",
  );
}

/** Ends the job in a final state, recording why (the jobs waiting for its tag object are woken by settled.ts). */
async function end(
  ctx: JobContext,
  env: Env,
  state: "uploaded" | "irrecoverable" | "not_for_us",
  reason: string,
  patch: TagbuildPatch = {},
): Promise<void> {
  await updateRow(env.DB, ctx.id, { ...patch, reason });
  await ctx.to(state, reason);
}

/**
 * Runs a git call. The forge being down (refused, timeout, 5xx, cut) fails the job with `retryEarliest`:
 * the forge is marked down and the cron retries the job once a preflight finds it up. "Does not exist"
 * ends it irrecoverable at once; bad data too. Returns null when the job has ended.
 */
async function forgeCall<T>(
  ctx: JobContext,
  env: Env,
  input: TagbuildInput,
  call: () => Promise<T>,
): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if (err.strength === "gone") {
      await end(
        ctx,
        env,
        "irrecoverable",
        `${input.repoUrl} or its tag ${input.tagName} does not exist: ${err.message}`,
      );
      return null;
    }
    if (err.strength === "strong") {
      await end(ctx, env, "irrecoverable", err.message);
      return null;
    }
    const probe = `${input.cloneUrl}/info/refs?service=git-upload-pack`;
    const forge = await remote<ForgeObject>(env.FORGE, input.host).reportFailure(input.host, probe, err.message);
    const retryEarliest = forge.nextPreflightAt ?? Date.now();
    const reason = `forge ${input.host} unreachable: ${err.message}`;
    await updateRow(env.DB, ctx.id, { reason, retryEarliest });
    await ctx.to("failed", reason, { retryEarliest });
    return null;
  }
}
