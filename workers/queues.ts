// Queue consumers: the jobs queue runs each job's handler under a lease; the dead-letter queue fails
// the jobs whose messages the queue gave up on.

import type { Env } from "./env";
import type { JobMessage } from "./core/job";
import { JobError, messageOf } from "./core/errors";
import { isUlid } from "./core/ids";
import { remote } from "./core/remote";
import type { JobObject } from "../durable-objects/job";
import { Deferred, JobContext, LeaseLost, type JobHandler } from "./core/job-context";

const handlers = new Map<string, JobHandler>();

export type QueueHandler = (batch: MessageBatch<unknown>, env: Env) => Promise<void>;
const queueHandlers = new Map<string, QueueHandler>();

/** A pipeline that consumes a queue of its own (not job messages) registers it by queue name. */
export function registerQueue(queue: string, handler: QueueHandler): void {
  queueHandlers.set(queue, handler);
}

/** A pipeline gives the handler of each of its job kinds. */
export function registerHandler(kind: string, handler: JobHandler): void {
  handlers.set(kind, handler);
}

function isJobMessage(body: unknown): body is JobMessage {
  const b = body as JobMessage | null;
  return !!b && typeof b.job === "string" && isUlid(b.job) && Number.isInteger(b.dispatch);
}

export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const own = queueHandlers.get(batch.queue);
  if (own) return own(batch, env);
  const deadLetters = batch.queue.endsWith("-dlq");
  await Promise.all(batch.messages.map((m) => (deadLetters ? buryMessage(m, env) : runMessage(m, env))));
}

async function runMessage(message: Message<unknown>, env: Env): Promise<void> {
  if (!isJobMessage(message.body)) {
    console.error("jobs queue: dropping a message that is not a job message", JSON.stringify(message.body)?.slice(0, 200));
    message.ack();
    return;
  }
  const { job: jobId, dispatch } = message.body;
  const stub = remote<JobObject>(env.JOB, jobId);
  let lease: number | null = null;
  try {
    const claim = await stub.claim(dispatch);
    if (!claim.ok) {
      message.ack(); // finished, superseded or cancelled: nothing to do
      return;
    }
    lease = claim.lease;
    const handler = handlers.get(claim.job.kind);
    if (!handler) throw new JobError("strong", `no handler is registered for job kind "${claim.job.kind}"`);
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
      await stub.fail(lease, { strength: err.strength, message: err.message, ...(err.state ? { state: err.state } : {}) });
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
  const stub = remote<JobObject>(env.JOB, message.body.job);
  try {
    await stub.deadLetter(message.body.dispatch, "the jobs queue gave up delivering it after its retries (see the job log)");
    message.ack();
  } catch (err) {
    console.error(`dead-letter ${message.body.job}: ${messageOf(err)}`);
    message.retry();
  }
}
