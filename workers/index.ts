// The Worker's entry: HTTP to the app, queue batches to the consumers, cron ticks to the pipelines' tasks.

import { app } from "./app";
import { handleQueue } from "./queues";
import { handleCron } from "./cron";
import type { Env } from "./env";

export { RepoObject } from "../durable-objects/repo";
export { JobObject } from "../durable-objects/job";
export { ForgeObject } from "../durable-objects/forge";
export { BuildersObject } from "../durable-objects/builders";
export { RegistryObject } from "../durable-objects/registry";
export { WorkflowObject } from "../durable-objects/workflow";

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  scheduled: (controller, env, ctx) => ctx.waitUntil(handleCron(env, controller.scheduledTime)),
} satisfies ExportedHandler<Env, unknown>;
