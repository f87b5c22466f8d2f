// What brings each half back to the desired state without any event: the producer's reconcile starts a
// produce job per source branch and drops objects of deleted mirrors; the consumer's lists SYNC and starts
// a consume job per object it has not finished with. R2 notifications start the consumer sooner.

import type { Env } from "../env";
import { AppError, messageOf } from "../core/errors";
import { decodeKey } from "./keys";
import { allMirrors, forgetObjects, objectDone, objectsDone, recordRun } from "./store";
import { pruneBucket } from "./producer";
import { destinationOf, submitConsume, submitProduce } from "./submit";
import { syncReader } from "./sync-bucket";
import { reconcileMinutes, roleEnabled } from "./roles";

export interface ConsumerSweep {
  submitted: string[];
  skipped: { key: string; reason: string }[];
}

/** The cron task: each enabled role reconciles every MIRROR_RECONCILE_MINUTES. */
export async function reconcileTick(env: Env, now: number): Promise<void> {
  if (Math.floor(now / 60_000) % reconcileMinutes(env) !== 0) return;
  const work: Promise<unknown>[] = [];
  if (roleEnabled(env, "producer")) work.push(reconcileProducer(env));
  if (roleEnabled(env, "consumer")) work.push(reconcileConsumer(env));
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === "rejected") console.error(`mirror reconcile: ${messageOf(r.reason)}`);
}

export async function reconcileProducer(env: Env): Promise<{ sources: number; removed: string[] }> {
  const specs = await allMirrors(env.DB);
  const sources = new Map(specs.map((m) => [`${m.sourceUrl}\n${m.sourceBranch}`, m]));
  for (const m of sources.values()) await submitProduce(env, m.sourceUrl, m.sourceBranch);
  const removed = await pruneBucket(env, specs, null);
  return { sources: sources.size, removed };
}

export async function reconcileConsumer(env: Env): Promise<ConsumerSweep> {
  const started = Date.now();
  const sweep: ConsumerSweep = { submitted: [], skipped: [] };
  try {
    const done = await objectsDone(env.DB);
    const present = new Set<string>();
    for await (const o of syncReader(env).list()) {
      present.add(o.key);
      if (done.has(`${o.key}\n${o.etag}`)) continue;
      const outcome = await offer(env, o.key, o.etag);
      if (outcome.ok) sweep.submitted.push(o.key);
      else sweep.skipped.push({ key: o.key, reason: outcome.reason });
    }
    await forgetObjects(env.DB, present);
    await recordRun(env.DB, "consumer", true, started);
    return sweep;
  } catch (err) {
    await recordRun(env.DB, "consumer", false, started).catch(() => {});
    throw err;
  }
}

/**
 * Starts the consume job for one object, unless its key is not a sync key or names a destination this side
 * does not know: those are reported (logged, and returned) and skipped; the other objects go on.
 */
export async function offer(
  env: Env,
  key: string,
  etag: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let destination;
  try {
    destination = await destinationOf(env, decodeKey(key));
  } catch (err) {
    console.warn(`mirror consumer: skipping ${JSON.stringify(key.slice(0, 200))}: ${messageOf(err)}`);
    return { ok: false, reason: messageOf(err) };
  }
  if (!destination) {
    const reason = "no mirror here has this destination, and MIRROR_DESTINATION_BASE is not set";
    console.warn(`mirror consumer: skipping ${key}: ${reason}`);
    return { ok: false, reason };
  }
  if ((await objectDone(env.DB, key, etag)) !== null) return { ok: false, reason: "already done" };
  try {
    await submitConsume(env, destination.url, { key, etag });
  } catch (err) {
    if (!(err instanceof AppError)) throw err; // a D1 or Durable Object failure: the caller retries
    console.warn(`mirror consumer: skipping ${key}: destination ${destination.url}: ${err.message}`);
    return { ok: false, reason: `destination ${destination.url}: ${err.message}` };
  }
  return { ok: true };
}

/** R2 event notification (object-create on SYNC) → a consume job. Other actions are ignored. */
export async function onSyncEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body as { action?: string; object?: { key?: string; eTag?: string } } | null;
    const key = body?.object?.key;
    if (
      !roleEnabled(env, "consumer") ||
      !key ||
      !/^(PutObject|CopyObject|CompleteMultipartUpload)$/.test(body?.action ?? "")
    ) {
      message.ack();
      continue;
    }
    try {
      await offer(env, key, body!.object!.eTag ?? "");
      message.ack();
    } catch (err) {
      console.error(`mirror consumer: notification for ${key}: ${messageOf(err)}`);
      message.retry({ delaySeconds: 30 });
    }
  }
}
