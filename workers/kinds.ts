// The pipeline registry: each pipeline's config schema, job kinds and event plan.
// RepoObject and JobObject read it; a pipeline adds itself here with one line.

import { z } from "zod";
import type { JobKind } from "./core/machine";
import type { ForgeEvent } from "./core/forge-event";
import type { Json } from "./core/job";

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

export interface Pipeline<C = any> {
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

/** Every job the repo's enabled pipelines plan for one lifecycle step, by pipeline. */
export function planLifecycle(
  step: "init" | "beforeFreeze" | "moved",
  config: Record<string, unknown>,
  repo: RepoFacts,
  from?: RepoFacts,
): Map<string, PlannedJob[]> {
  const out = new Map<string, PlannedJob[]>();
  for (const [name, pipelineConfig] of Object.entries(config)) {
    const hook = pipelines.get(name)?.lifecycle?.[step];
    if (hook) out.set(name, hook(pipelineConfig, repo, from ?? repo));
  }
  return out;
}

const pipelines = new Map<string, Pipeline>();
const kinds = new Map<string, JobKind>();

export function registerPipeline(pipeline: Pipeline): void {
  pipelines.set(pipeline.name, pipeline);
  for (const kind of pipeline.kinds) {
    if (kind.pipeline !== pipeline.name)
      throw new Error(`job kind ${kind.kind} belongs to pipeline ${kind.pipeline}, not ${pipeline.name}`);
    kinds.set(kind.kind, kind);
  }
}

export function pipelineNamed(name: string): Pipeline | undefined {
  return pipelines.get(name);
}

export function pipelineNames(): string[] {
  return [...pipelines.keys()];
}

export function kindNamed(name: string): JobKind | undefined {
  return kinds.get(name);
}

/**
 * Validates a repo's `pipelines` object: every key must name a registered pipeline and its value
 * must pass that pipeline's schema. Returns the parsed object, or the list of problems.
 */
export function parsePipelines(value: unknown): { ok: true; value: Record<string, unknown> } | { ok: false; problems: string[] } {
  if (value === undefined || value === null) return { ok: true, value: {} };
  if (typeof value !== "object" || Array.isArray(value)) return { ok: false, problems: ["pipelines must be an object"] };
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, config] of Object.entries(value)) {
    const pipeline = pipelines.get(name);
    if (!pipeline) {
      problems.push(`unknown pipeline "${name}" (known: ${pipelineNames().join(", ") || "none"})`);
      continue;
    }
    if (config === false || config === null) continue; // disabled
    const parsed = pipeline.config.safeParse(config === true ? {} : config);
    if (parsed.success) out[name] = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => `pipelines.${name}${i.path.map((p) => "." + String(p)).join("")}: ${i.message}`));
  }
  return problems.length ? { ok: false, problems } : { ok: true, value: out };
}

/** Every job the repo's enabled pipelines plan for an event. */
export function planJobs(event: ForgeEvent, config: Record<string, unknown>, repo: RepoFacts): PlannedJob[] {
  const planned: PlannedJob[] = [];
  for (const [name, pipelineConfig] of Object.entries(config)) {
    const pipeline = pipelines.get(name);
    if (pipeline) planned.push(...pipeline.plan(event, pipelineConfig, repo));
  }
  return planned;
}
