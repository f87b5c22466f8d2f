// The Worker's entry: builds the registry from the one list of pipelines (pipelines.ts) and hands it to the
// app, the queue consumers, the cron and the Durable Objects that plan and judge jobs. Tests build theirs the
// same way from their own list (test/worker.ts).

import { buildApp } from "./app";
import { handleQueue } from "./queues";
import { handleCron } from "./cron";
import { registries, type Registry, type Setting } from "./kinds";
import { modules } from "./pipelines";
import type { Env } from "./env";
import { RepoObject as RepoChain } from "../durable-objects/repo";
import { JobObject as JobMachine } from "../durable-objects/job";

export { ForgeObject } from "../durable-objects/forge";
export { BuildersObject } from "../durable-objects/builders";
export { RegistryObject } from "../durable-objects/registry";
export { WorkflowObject } from "../durable-objects/workflow";

/** The Worker's handlers for the pipelines of `registryFor(env)`. */
export function workerFor(registryFor: (env: Setting) => Registry) {
  const app = buildApp(registryFor);
  return {
    fetch: app.fetch,
    queue: (batch, env) => handleQueue(batch, env, registryFor(env)),
    scheduled: (controller, env, ctx) => ctx.waitUntil(handleCron(env, controller.scheduledTime, registryFor(env))),
  } satisfies ExportedHandler<Env, unknown>;
}

const registryFor = registries(modules);

export class RepoObject extends RepoChain {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, registryFor(env));
  }
}

export class JobObject extends JobMachine {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, registryFor(env));
  }
}

export default workerFor(registryFor);
