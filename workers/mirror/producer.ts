// The producer (job kind mirror-produce): for each mirror of one source branch, read the branch's commit
// (ref listing, no clone); when SYNC has no object for that destination at that commit, fetch the pack,
// stage and index it, and upload the sealed snapshot under its key; then drop stale objects.

import { listRefs, fetchPack, tokenAuth, GitError, toJobError, type GitAuth } from "../git";
import { JobError, gone, messageOf, notForUs, strong, weak } from "../core/errors";
import { outboundPolicy } from "../core/outbound";
import type { JobContext } from "../core/job-context";
import type { Env } from "../env";
import { findForge } from "../api/forge-store";
import { hostOf } from "../core/repo-url";
import { parseRecipients } from "./age";
import { decodeKey, destinationOf, encodeKey, type SyncKey } from "./keys";
import { uploadStream } from "./multipart";
import { stagePack, type StagedPack } from "./staged-pack";
import { sealedSnapshot } from "./tarball";
import { beatEvery, limitBytes } from "./streams";
import { allMirrors, mirrorsOfSource, recordProduceError, recordProduced, recordRun, type MirrorRow } from "./store";
import { maxTarBytes, roleEnabled } from "./roles";
import { submitConsume } from "./submit";
import type { ProduceInput } from "./kinds";

/** A long upload reports to its JobObject this often, so the watchdog knows it is alive. */
const HEARTBEAT_BYTES = 64 * 1024 * 1024;
/** The job's progress bar moves this often (the context sends at most one report a second). */
const PROGRESS_BYTES = 1024 * 1024;

export async function produce(ctx: JobContext, env: Env): Promise<void> {
  if (!roleEnabled(env, "producer")) throw notForUs("this deployment is not a mirror producer (MIRROR_ROLE)");
  const { sourceUrl, branch } = ctx.input<ProduceInput>();
  const specs = await mirrorsOfSource(env.DB, sourceUrl, branch);
  if (!specs.length) throw notForUs(`no mirror has ${sourceUrl} branch ${branch} as its source any more`);
  const started = Date.now();
  try {
    if (ctx.state === "pending")
      await ctx.to("running", `producing ${specs.length} mirror(s) of ${sourceUrl} ${branch}`);
    const result = await produceAll(ctx, env, specs, branch);
    await ctx.to(
      "done",
      result.uploaded.length ? `uploaded ${result.uploaded.join(", ")}` : "every destination already had its object",
      result,
    );
    await recordRun(env.DB, "producer", true, started);
  } catch (err) {
    const failure = asJobError(err);
    await Promise.all(specs.map((s) => recordProduceError(env.DB, s.id, failure.message))).catch(() => {});
    await recordRun(env.DB, "producer", false, started).catch(() => {});
    throw failure;
  }
}

async function produceAll(ctx: JobContext, env: Env, specs: MirrorRow[], branch: string) {
  const recipients = configured(() => parseRecipients(env.SYNC_RECIPIENTS));
  const source = specs[0]!;
  const auth = await forgeAuth(env, source.sourceCloneUrl);
  const policy = outboundPolicy(env);
  // The key is read before the fetch, and the fetch asks for exactly that commit: the tarball holds what its key says.
  const listing = await listRefs(source.sourceCloneUrl, { auth, policy, prefixes: [`refs/heads/${branch}`] });
  const commit = listing.refs.find((r) => r.name === `refs/heads/${branch}`)?.oid;
  if (!commit) throw gone(`source ${source.sourceUrl} has no branch ${branch}`);
  await ctx.log(`source ${source.sourceUrl} ${branch} is at ${commit}`);

  const uploaded: string[] = [];
  const objects: { key: string; size: number }[] = [];
  let staged: StagedPack | null = null;
  const stagingKey = `produce/${ctx.id}/${commit}.pack`;
  try {
    for (const spec of specs) {
      const key = encodeKey(syncKeyOf(spec, commit));
      if (await env.SYNC.head(key)) {
        await recordProduced(env.DB, spec.id, commit, key);
        continue;
      }
      if (!staged) {
        const pack = await fetchPack(source.sourceCloneUrl, { wants: [commit], auth, policy });
        staged = await stagePack(env.MIRROR_STAGING, stagingKey, pack, commit, maxTarBytes(env), (line) =>
          ctx.heartbeat(line),
        );
        await ctx.log(`pack-${staged.checksum}: ${staged.objects} objects, ${staged.size} bytes`);
      }
      const pack = staged;
      const sealed = await sealedSnapshot(
        { branch, commit, pack, mtime: Date.now(), openPack: () => openStaged(env.MIRROR_STAGING, stagingKey) },
        recipients,
      );
      const max = maxTarBytes(env);
      const done = await uploadStream(
        env.SYNC,
        key,
        sealed
          .pipeThrough(
            limitBytes(max, (n) =>
              strong(`the sealed tarball passed MIRROR_MAX_TAR_BYTES (${max}) at ${n} bytes`, "rejected"),
            ),
          )
          .pipeThrough(beatEvery(HEARTBEAT_BYTES, (n) => ctx.heartbeat(`uploading ${key}: ${n} bytes`)))
          .pipeThrough(
            beatEvery(PROGRESS_BYTES, (n) =>
              ctx.progress({ phase: `uploading ${spec.group}/${spec.project}`, done: n, unit: "bytes" }),
            ),
          ),
        { customMetadata: { commit, ...(pack.commitTime ? { "commit-time": String(pack.commitTime) } : {}) } },
      );
      await ctx.log(`uploaded ${key} for ${spec.group}/${spec.project} ${spec.destinationBranch}: ${done.size} bytes`);
      await recordProduced(env.DB, spec.id, commit, key);
      uploaded.push(key);
      objects.push({ key, size: done.size });
      // Local development runs both halves and R2 sends no notifications there: start the consumer directly.
      if (roleEnabled(env, "consumer")) await submitConsume(env, spec.destinationUrl, { key, etag: done.etag });
    }
  } finally {
    await env.MIRROR_STAGING.delete(stagingKey).catch(() => {});
  }
  const removed = await pruneBucket(env, await allMirrors(env.DB), specs, commit);
  if (removed.length) await ctx.log(`removed stale objects: ${removed.join(", ")}`);
  return { commit, uploaded, objects, removed };
}

export function syncKeyOf(spec: MirrorRow, commit: string): SyncKey {
  return {
    group: spec.group,
    project_name: spec.project,
    commit_sha: commit,
    local_branch: spec.sourceBranch,
    remote_branch: spec.destinationBranch,
  };
}

/**
 * Deletes, from SYNC, objects of `current` mirrors' destinations at another commit, and (with `current` null:
 * the reconcile) objects whose destination no mirror has any more. Keys that are not sync keys are left alone.
 */
export async function pruneBucket(
  env: Env,
  all: MirrorRow[],
  current: MirrorRow[] | null,
  commit?: string,
): Promise<string[]> {
  const configured = new Set(all.map((m) => destinationOf(syncKeyOf(m, ""))));
  const mine = new Set((current ?? []).map((m) => destinationOf(syncKeyOf(m, ""))));
  const stale: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.SYNC.list({ cursor, limit: 1000 });
    for (const o of page.objects) {
      let key: SyncKey;
      try {
        key = decodeKey(o.key);
      } catch {
        continue;
      }
      const destination = destinationOf(key);
      if (current && mine.has(destination) && key.commit_sha !== commit) stale.push(o.key);
      else if (!current && !configured.has(destination)) stale.push(o.key);
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  for (let i = 0; i < stale.length; i += 1000) await env.SYNC.delete(stale.slice(i, i + 1000));
  return stale;
}

async function openStaged(bucket: R2Bucket, key: string): Promise<ReadableStream<Uint8Array>> {
  const o = await bucket.get(key);
  if (!o) throw weak(`staged pack ${key} is gone`);
  return o.body;
}

/** The forge token of the URL's host, when the registry has one: private repos need it. */
export async function forgeAuth(env: Env, url: string): Promise<GitAuth | undefined> {
  const forge = await findForge(env.DB, hostOf(url));
  return forge?.token ? tokenAuth(forge.token) : undefined;
}

function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw strong(`configuration: ${messageOf(err)}`);
  }
}

/** Git failures by their strength, R2 and other platform failures as weak, the rest as they are. */
export function asJobError(err: unknown): JobError {
  if (err instanceof JobError) return err;
  if (err instanceof GitError) {
    const mapped = toJobError(err) as JobError;
    return mapped.strength === "strong"
      ? strong(mapped.message, "rejected")
      : mapped.strength === "not_found"
        ? gone(mapped.message)
        : mapped;
  }
  return weak(messageOf(err));
}
