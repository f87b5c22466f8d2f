// Queue consumers: the jobs queue runs each job's handler under a lease; the dead-letter queue fails
// the jobs whose messages the queue gave up on; a pipeline's own queues go to that pipeline. All of it
// through the registry the entry hands over, so a pipeline this deployment does not run handles nothing.

import type { Env } from "./env";
import type { Registry } from "./kinds";
import type { JobMessage } from "./core/job";
import { JobError, messageOf } from "./core/errors";
import { isUlid } from "./core/ids";
import { remote } from "./core/remote";
import { Deferred, JobContext, LeaseLost } from "./core/job-context";

/**
 * How long the messages of a disabled pipeline's own queue wait before the queue offers them again: long
 * enough not to spin, short enough that turning the pipeline back on (PIPELINES) within the queue's retries
 * loses none.
 */
export const DISABLED_QUEUE_RETRY_SECONDS = 300;

function isJobMessage(body: unknown): body is JobMessage {
  const b = body as JobMessage | null;
  return !!b && typeof b.job === "string" && isUlid(b.job) && Number.isInteger(b.dispatch);
}

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, registry: Registry): Promise<void> {
  const own = registry.queue(batch.queue);
  if (own) {
    const name = own.module.pipeline.name;
    if (registry.isEnabled(name)) return own.handle(batch, env);
    // Not dropped: they come back after the delay, and the queue's own retry limit decides their end.
    console.error(
      `queue ${batch.queue}: ${registry.disabledReason(name)}; ${batch.messages.length} message(s) offered again in ` +
        `${DISABLED_QUEUE_RETRY_SECONDS}s (dropped by the queue once its retries are used up)`,
    );
    batch.retryAll({ delaySeconds: DISABLED_QUEUE_RETRY_SECONDS });
    return;
  }
  const deadLetters = batch.queue.endsWith("-dlq");
  await Promise.all(batch.messages.map((m) => (deadLetters ? buryMessage(m, env) : runMessage(m, env, registry))));
}

async function runMessage(message: Message<unknown>, env: Env, registry: Registry): Promise<void> {
  if (!isJobMessage(message.body)) {
    console.error(
      "jobs queue: dropping a message that is not a job message",
      JSON.stringify(message.body)?.slice(0, 200),
    );
    message.ack();
    return;
  }
  const { job: jobId, dispatch } = message.body;
  const stub = remote(env.JOB, jobId);
  let lease: number | null = null;
  try {
    const claim = await stub.claim(dispatch);
    if (!claim.ok) {
      message.ack(); // finished, superseded or cancelled: nothing to do
      return;
    }
    lease = claim.lease;
    const handler = registry.handler(claim.job.kind);
    if (!handler) {
      // A job of a pipeline this deployment does not run (PIPELINES changed under it) fails, saying why; a
      // kind that allows it can be retried by hand once the pipeline runs again.
      const kind = registry.kind(claim.job.kind);
      throw new JobError(
        "strong",
        kind ? registry.disabledReason(kind.pipeline) : `no pipeline here declares job kind "${claim.job.kind}"`,
      );
    }
    await handler(new JobContext(claim.job, stub, claim.lease), env);
    message.ack();
  } catch (err) {
    try {
      await report(err);
    } catch (reportErr) {
      console.error(`job ${jobId}: could not report to its JobObject: ${messageOf(reportErr)}`);
      message.retry({ delaySeconds: retryDelay(env, message.attempts) });
    }
  }

  async function report(err: unknown): Promise<void> {
    if (err instanceof LeaseLost) {
      message.ack();
    } else if (err instanceof Deferred && lease !== null) {
      await stub.defer(lease, err.until, err.reason);
      message.ack();
    } else if (err instanceof JobError && lease !== null) {
      await stub.fail(lease, {
        strength: err.strength,
        message: err.message,
        ...(err.state ? { state: err.state } : {}),
      });
      message.ack();
    } else {
      // A crash (a bug, or the JobObject out of reach): the queue redelivers, and dead-letters after its retries.
      const text = messageOf(err);
      console.error(`job ${jobId}: ${text}`);
      if (lease !== null) await stub.crashed(lease, text).catch(() => {});
      message.retry({ delaySeconds: retryDelay(env, message.attempts) });
    }
  }
}

/** Redelivery delay after a crash: CRASH_RETRY_SECONDS (default 5), doubling per delivery, at most 5 min. */
function retryDelay(env: Env, attempts: number): number {
  const base = Number(env.CRASH_RETRY_SECONDS ?? "5");
  return Math.min(300, (Number.isFinite(base) ? base : 5) * 2 ** Math.max(0, attempts - 1));
}

async function buryMessage(message: Message<unknown>, env: Env): Promise<void> {
  if (!isJobMessage(message.body)) {
    message.ack();
    return;
  }
  const stub = remote(env.JOB, message.body.job);
  try {
    await stub.deadLetter(
      message.body.dispatch,
      "the jobs queue gave up delivering it after its retries (see the job log)",
    );
    message.ack();
  } catch (err) {
    console.error(`dead-letter ${message.body.job}: ${messageOf(err)}`);
    message.retry();
  }
}
