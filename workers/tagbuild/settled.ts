// What a tag-build job's settling does, by whatever path it settled (its handler, the watchdog, retries used
// up, a dead letter, a cancel): its build is taken back from the builders hub, and the jobs on the same tag
// object that wait for it are woken. Called by its JobObject through the job kind's `onSettled`.

import type { Env } from "../env";
import type { SettledJob } from "../core/machine";
import { remote } from "../core/remote";
import type { JobObject } from "../../durable-objects/job";
import { buildersHub } from "./job";
import { othersOn, readRow, updateRow } from "./store";

/** Idempotent (the JobObject's outbox may call it again): every step is safe to repeat. */
export async function tagbuildSettled(job: SettledJob, env: Env): Promise<void> {
  // A build still queued or building (the job was cancelled or given up) must not reach or stay with a builder.
  const build = await buildersHub(env).withdraw(job.jobId, job.error ?? `job ${job.state}`);
  const row = await readRow(env.DB, job.jobId);
  if (!row) return;
  // What a builder said before the build was taken back stays readable with the job.
  if (build?.messages.length && !row.messages.length) await updateRow(env.DB, job.jobId, { messages: build.messages });
  if (!row.objectId) return;
  // A waiter whose attempt still runs keeps the wake pending; one that settled ignores it.
  for (const id of await othersOn(env.DB, row.objectId, job.jobId))
    await remote<JobObject>(env.JOB, id).wake(
      `job ${job.jobId}, which held tag object ${row.objectId}, settled ${job.state}`,
    );
}
