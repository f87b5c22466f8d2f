// The consumer (job kind mirror-consume): one object of SYNC → age decrypt → gunzip → untar with path checks
// (packs staged as they stream by) → push refs/heads/<local_branch> to refs/heads/<remote_branch> of the
// destination, forced, with the destination forge's token. Outcomes go on the mirror and the object record.

import { listRefs, push, readPack, r2Spill, writePack, type ObjectType } from "../git";
import { gone, JobError, messageOf, notForUs, strong } from "../core/errors";
import { outboundPolicy } from "../core/outbound";
import type { JobContext } from "../core/job-context";
import type { Env } from "../env";
import { AgeError, decryptStream, parseIdentities } from "./age";
import { BadKey, decodeKey, type SyncKey } from "./keys";
import { TarError } from "./untar";
import { GzipError, gunzipStream } from "./gzip";
import { extractRepo, type ExtractedRepo } from "./extract";
import { beatEvery, limitBytes, relabelErrors } from "./streams";
import { BucketUnavailable, syncReader } from "./sync-bucket";
import { objectDone, recordApplied, recordApplyError, recordObject, recordRun } from "./store";
import { maxTarBytes, roleEnabled } from "./roles";
import { destinationOf } from "./submit";
import { asJobError, forgeAuth } from "./producer";
import type { ConsumeInput } from "./kinds";

const ZERO = "0000000000000000000000000000000000000000";

export async function consume(ctx: JobContext, env: Env): Promise<void> {
  if (!roleEnabled(env, "consumer")) throw notForUs("this deployment is not a mirror consumer (MIRROR_ROLE)");
  const { key, etag } = ctx.input<ConsumeInput>();
  const started = Date.now();
  let mirrorId: string | null = null;
  // The etag of the object actually read: a rejection is remembered under it, the one the reconcile lists.
  const seen = { etag };
  try {
    const sk = parseKey(key);
    const destination = await destinationOf(env, sk);
    if (!destination)
      throw strong(
        `no mirror here has destination ${sk.group}/${sk.project_name} ${sk.remote_branch}, and MIRROR_DESTINATION_BASE is not set`,
        "rejected",
      );
    mirrorId = destination.mirrorId;
    if ((await objectDone(env.DB, key, etag))?.status === "applied") {
      await finish(ctx, "running", "done", `${key} was already applied`);
      return;
    }
    if (ctx.state === "pending")
      await ctx.to("running", `applying ${sk.commit_sha} to ${destination.url} ${sk.remote_branch}`);
    const applied = await apply(ctx, env, key, sk, destination.url, seen);
    await recordObject(env.DB, {
      key,
      etag: seen.etag,
      status: "applied",
      commit: sk.commit_sha,
      mirrorId,
      error: null,
    });
    if (mirrorId) await recordApplied(env.DB, mirrorId, sk.commit_sha, applied.commitTime);
    await ctx.to(
      "done",
      applied.pushed
        ? `pushed ${sk.commit_sha} to ${sk.remote_branch}`
        : `${sk.remote_branch} was already at ${sk.commit_sha}`,
      {
        commit: sk.commit_sha,
        destination: destination.url,
        branch: sk.remote_branch,
        pushed: applied.pushed,
      },
    );
    await recordRun(env.DB, "consumer", true, started);
  } catch (err) {
    const failure = asConsumeError(err);
    if (mirrorId) await recordApplyError(env.DB, mirrorId, `${key}: ${failure.message}`).catch(() => {});
    // Bad data never gets better: remember it so the reconcile does not try the same object again.
    if (failure.strength === "strong" && failure.state === "rejected")
      await recordObject(env.DB, {
        key,
        etag: seen.etag,
        status: "rejected",
        commit: null,
        mirrorId,
        error: failure.message,
      }).catch(() => {});
    await recordRun(env.DB, "consumer", false, started).catch(() => {});
    throw failure;
  }
}

async function apply(
  ctx: JobContext,
  env: Env,
  key: string,
  sk: SyncKey,
  destinationUrl: string,
  seen: { etag: string },
) {
  const identities = configured(() => parseIdentities(env.SYNC_IDENTITY));
  const max = maxTarBytes(env);
  const got = await syncReader(env).get(key);
  if (!got) throw gone(`object ${key} is no longer in the SYNC bucket (a newer commit replaced it?)`);
  seen.etag = got.object.etag;
  if (got.object.size > max) {
    await got.body.cancel();
    throw strong(`object is ${got.object.size} bytes, over MIRROR_MAX_TAR_BYTES (${max})`, "rejected");
  }
  // The first error is the verdict (an error crossing a platform stream can come out as another class).
  const faults: unknown[] = [];
  const size = got.object.size;
  const download = got.body.pipeThrough(
    beatEvery(1024 * 1024, (n) =>
      ctx.progress({ phase: "downloading and unpacking", done: n, total: size, unit: "bytes" }),
    ),
  );
  const plain = relabelErrors(await decryptStream(download, identities), (err) => (faults.push(err), err));
  const overLimit = (n: number) =>
    strong(`the unpacked tarball passed MIRROR_MAX_TAR_BYTES (${max}) at ${n} bytes`, "rejected");
  const gunzipped = relabelErrors(
    plain.pipeThrough(gunzipStream({ bytes: max, error: overLimit })),
    (err) => (faults.push(err), err),
  );
  const tar = gunzipped
    .pipeThrough(limitBytes(max, overLimit))
    .pipeThrough(beatEvery(64 * 1024 * 1024, (n) => ctx.heartbeat(`unpacking: ${n} bytes`)));
  const prefix = `consume/${ctx.id}`;
  let repo: ExtractedRepo | null = null;
  try {
    repo = await extractRepo(tar, env.MIRROR_STAGING, prefix);
    await ctx.heartbeat(
      `unpacked ${repo.entries} entries: ${repo.packs.length} pack(s), ${repo.loose.size} loose object(s)`,
    );
    const head = repo.branches.get(sk.local_branch);
    if (head !== sk.commit_sha)
      throw strong(
        `the tarball's refs/heads/${sk.local_branch} is ${head ?? "missing"}, but its key names ${sk.commit_sha}`,
        "rejected",
      );

    const auth = await forgeAuth(env, destinationUrl);
    const policy = outboundPolicy(env);
    const url = destinationUrl.endsWith(".git") ? destinationUrl : `${destinationUrl}.git`;
    const ref = `refs/heads/${sk.remote_branch}`;
    const listing = await listRefs(url, { service: "git-receive-pack", auth, policy });
    const old = listing.refs.find((r) => r.name === ref)?.oid ?? ZERO;
    const commitTime = Number(got.object.metadata["commit-time"]) || null;
    if (old === sk.commit_sha) return { etag: got.object.etag, pushed: false, commitTime };
    const result = await push(url, {
      updates: [{ ref, old, new: sk.commit_sha }],
      pack: await packToSend(env, repo),
      force: true,
      auth,
    });
    const outcome = result.refs.find((r) => r.ref === ref);
    if (!outcome?.ok)
      throw new DestinationRefused(`destination refused ${ref}: ${outcome?.message ?? "no status for the ref"}`);
    return { etag: got.object.etag, pushed: true, commitTime };
  } catch (err) {
    throw faults[0] ?? err;
  } finally {
    const keys = repo?.packs.map((p) => p.key) ?? [];
    const listed = await env.MIRROR_STAGING.list({ prefix: `${prefix}/` }).catch(() => null);
    for (const o of listed?.objects ?? []) keys.push(o.key);
    if (keys.length) await env.MIRROR_STAGING.delete([...new Set(keys)]).catch(() => {});
  }
}

/** The one pack as it came, or (several packs, loose objects) one pack written from all their objects. */
async function packToSend(env: Env, repo: ExtractedRepo): Promise<ReadableStream<Uint8Array>> {
  if (repo.packs.length === 1 && repo.loose.size === 0) {
    const o = await env.MIRROR_STAGING.get(repo.packs[0]!.key);
    if (!o) throw new Error("the staged pack vanished");
    return o.body;
  }
  return writePack(allObjects(env, repo));
}

async function* allObjects(env: Env, repo: ExtractedRepo): AsyncGenerator<{ type: ObjectType; data: Uint8Array }> {
  for (const p of repo.packs) {
    const o = await env.MIRROR_STAGING.get(p.key);
    if (!o) throw new Error("a staged pack vanished");
    for await (const object of readPack(o.body, { spill: r2Spill(env.MIRROR_STAGING, p.key) }).objects())
      yield { type: object.type, data: object.data };
  }
  for (const [oid, compressed] of repo.loose) {
    const raw = new Uint8Array(
      await new Response(new Blob([compressed]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer(),
    );
    const nul = raw.indexOf(0);
    const [type] = new TextDecoder().decode(raw.subarray(0, nul)).split(" ");
    if (nul < 0 || !["commit", "tree", "blob", "tag"].includes(type!))
      throw new TarError(`loose object ${oid} is not a git object`);
    yield { type: type as ObjectType, data: raw.subarray(nul + 1) };
  }
}

class DestinationRefused extends Error {}

function parseKey(key: string): SyncKey {
  let sk: SyncKey;
  try {
    sk = decodeKey(key);
  } catch (err) {
    throw strong(messageOf(err), "rejected");
  }
  if (!/^[0-9a-f]{40}$/.test(sk.commit_sha))
    throw strong(`key names commit ${JSON.stringify(sk.commit_sha)}, not a commit id`, "rejected");
  return sk;
}

async function finish(ctx: JobContext, via: string, to: string, reason: string): Promise<void> {
  if (ctx.state === "pending") await ctx.to(via, reason);
  await ctx.to(to, reason);
}

function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw strong(`configuration: ${messageOf(err)}`);
  }
}

/** Bad ciphertext, unsafe or malformed tarballs are rejected; a refused push fails (retried by hand or reconcile). */
function asConsumeError(err: unknown): JobError {
  if (err instanceof AgeError || err instanceof TarError || err instanceof BadKey || err instanceof GzipError)
    return strong(err.message, "rejected");
  if (err instanceof DestinationRefused) return strong(err.message);
  if (err instanceof BucketUnavailable) return new JobError("weak", err.message);
  return asJobError(err);
}
