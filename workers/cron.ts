// The cron trigger: every pipeline's periodic tasks (scheduling, reconciling, pruning), run side by side.

import type { Env } from "./env";
import { messageOf } from "./core/errors";
import { enabledModules } from "./pipelines";

export async function handleCron(env: Env, now: number): Promise<void> {
  const tasks = enabledModules(env).flatMap((m) => m.cron ?? []);
  const results = await Promise.allSettled(tasks.map((t) => t.run(env, now)));
  results.forEach((r, i) => {
    if (r.status === "rejected") console.error(`cron task ${tasks[i]!.name}: ${messageOf(r.reason)}`);
  });
}
