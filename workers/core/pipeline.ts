// What a pipeline declares to the spine: its config schema, job kinds and event plan, its job handlers,
// routes, cron tasks and queues. Shared types only; the list of pipelines is in workers/pipelines.ts.

import type { Hono } from "hono";
import type { z } from "zod";
import type { Env } from "../env";
import type { ForgeEvent } from "./forge-event";
import type { Json } from "./job";
import type { JobHandler } from "./job-context";
import type { JobKind } from "./machine";

/** A job a pipeline wants started for an event. */
export interface PlannedJob {
  kind: string;
  input: Json;
  /**
   * Jobs with the same coalesce key merge while waiting: if one is already waiting in the repo's chain,
   * the event joins it instead of making another (one archive visit fetches everything new).
   */
  coalesce?: string;
}

/** What a plan may know of the repo. */
export interface RepoFacts {
  id: string;
  url: string;
  cloneUrl: string;
  host: string;
}

export interface Pipeline<C = unknown> {
  name: string;
  /** Validates `pipelines.<name>` of a repo; the parsed value is what `plan` receives. */
  config: z.ZodType<C>;
  kinds: JobKind[];
  /** Decides which jobs a forge event starts on a repo with this pipeline enabled. Pure. */
  plan(event: ForgeEvent, config: C, repo: RepoFacts): PlannedJob[];
  /** Lifecycle plans (registry room), each optional and pure: the pipeline's first work on a new repo (its init),
   * its last work before the repo freezes, and its work after the repo moved (`from`: where it was). */
  lifecycle?: {
    init?(config: C, repo: RepoFacts): PlannedJob[];
    beforeFreeze?(config: C, repo: RepoFacts): PlannedJob[];
    moved?(config: C, repo: RepoFacts, from: RepoFacts): PlannedJob[];
  };
}

export interface CronTask {
  name: string;
  run(env: Env, now: number): Promise<void>;
}

/** The consumer of a queue of the pipeline's own (e.g. R2 event notifications), not of job messages. */
export type QueueHandler = (batch: MessageBatch<unknown>, env: Env) => Promise<void>;

/** The Hono app of the Worker and of every route a pipeline mounts. */
export interface AppBindings {
  Bindings: Env;
}

export interface PipelineModule {
  pipeline: Pipeline;
  /** The handler of each job kind the pipeline declares. */
  handlers: Record<string, JobHandler>;
  /** Routes mounted at `path` (e.g. `/api/1` for the archive's read API). */
  routes?: { path: string; app: Hono<AppBindings> }[];
  cron?: CronTask[];
  /** Queues of the pipeline's own, by queue name, besides the jobs queue. */
  queues?: { queue: string; handle: QueueHandler }[];
}
