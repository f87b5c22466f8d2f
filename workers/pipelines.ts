// The pipelines this Worker runs. Each brings its config schema and job kinds (to the registry in kinds.ts),
// its job handlers (to the queue consumer), its routes (to the app) and its periodic tasks (to the cron).
// A pipeline joins by adding its module to `modules`.

import type { Hono } from "hono";
import type { Env } from "./env";
import { registerPipeline, type Pipeline } from "./kinds";
import { registerHandler, registerQueue, type QueueHandler } from "./queues";
import type { JobHandler } from "./core/job-context";
import { archiveModule } from "./archive";
import { tagbuildModule } from "./tagbuild";
import { mirrorModule } from "./mirror";
import { publishModule } from "./publish";

export interface CronTask {
  name: string;
  run(env: Env, now: number): Promise<void>;
}

export interface PipelineModule {
  pipeline: Pipeline;
  /** The handler of each job kind the pipeline declares. */
  handlers: Record<string, JobHandler>;
  /** Routes mounted at `path` (e.g. `/api/1` for the archive's read API). */
  routes?: { path: string; app: Hono<{ Bindings: Env }> }[];
  cron?: CronTask[];
  /** Queues of the pipeline's own (e.g. R2 event notifications), by queue name, besides the jobs queue. */
  queues?: { queue: string; handle: QueueHandler }[];
}

export const modules: PipelineModule[] = [archiveModule, tagbuildModule, mirrorModule, publishModule];

for (const m of modules) {
  registerPipeline(m.pipeline);
  for (const [kind, handler] of Object.entries(m.handlers)) registerHandler(kind, handler);
  for (const q of m.queues ?? []) registerQueue(q.queue, q.handle);
}

/**
 * The modules this deployment runs: all of them, or the ones `PIPELINES` names (comma-separated), so that a
 * deployment holding only some bindings (a mirror consumer in its own partition) runs no other pipeline's cron
 * and serves no other pipeline's routes.
 */
export function enabledModules(env: Pick<Env, "PIPELINES">, all: PipelineModule[] = modules): PipelineModule[] {
  const wanted = (env.PIPELINES ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  if (wanted.length === 0 || wanted.includes("*")) return all;
  const known = new Set(all.map((m) => m.pipeline.name));
  for (const name of wanted) if (!known.has(name)) console.error(`PIPELINES names unknown pipeline "${name}"`);
  return all.filter((m) => wanted.includes(m.pipeline.name));
}
