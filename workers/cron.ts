// The cron trigger: each pipeline's periodic work (scheduling, reconciling, pruning), run side by side.

import type { Env } from "./env";
import { messageOf } from "./core/errors";

export type CronTask = { name: string; run(env: Env, now: number): Promise<void> };

/** Pipelines add their periodic tasks here. */
const tasks: CronTask[] = [];

export async function handleCron(env: Env, now: number): Promise<void> {
  const results = await Promise.allSettled(tasks.map((t) => t.run(env, now)));
  results.forEach((r, i) => {
    if (r.status === "rejected") console.error(`cron task ${tasks[i]!.name}: ${messageOf(r.reason)}`);
  });
}
