// The Worker the tests run (vitest.config.ts `main`): the real entry's handlers and Durable Objects, built the
// same explicit way from the real list of pipelines plus the probe pipeline the spine's tests drive.

import { workerFor } from "../workers/index";
import { registries } from "../workers/kinds";
import { modules } from "../workers/pipelines";
import type { Env } from "../workers/env";
import { RepoObject as RepoChain } from "../durable-objects/repo";
import { JobObject as JobMachine } from "../durable-objects/job";
import { probeModule } from "./support/probe";
import { lifeprobeModule } from "./registry/lifecycle-probe";

export { ForgeObject } from "../durable-objects/forge";
export { BuildersObject } from "../durable-objects/builders";
export { RegistryObject } from "../durable-objects/registry";
export { WorkflowObject } from "../durable-objects/workflow";

/** The test Worker's pipelines: the real ones and the probe. */
export const testModules = [...modules, probeModule, lifeprobeModule];
export const testRegistryFor = registries(testModules);

export class RepoObject extends RepoChain {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, testRegistryFor(env));
  }
}

export class JobObject extends JobMachine {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, testRegistryFor(env));
  }
}

export default workerFor(testRegistryFor);
