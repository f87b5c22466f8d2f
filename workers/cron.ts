// The cron trigger: the periodic tasks (scheduling, reconciling, pruning) of every pipeline this deployment
// runs, side by side.

import type { Env } from "./env";
import type { Registry } from "./kinds";
import { messageOf } from "./core/errors";

export async function handleCron(env: Env, now: number, registry: Registry): Promise<void> {
  const tasks = registry.cronTasks();
  const results = await Promise.allSettled(tasks.map((t) => t.run(env, now)));
  results.forEach((r, i) => {
    if (r.status === "rejected") console.error(`cron task ${tasks[i]!.name}: ${messageOf(r.reason)}`);
  });
}
