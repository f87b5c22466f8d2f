// The pipeline registry: one value built from an explicit list of pipeline modules and the deployment's
// PIPELINES setting. The entry, the Durable Objects and the tests each build theirs; nothing registers itself.

import type { Env } from "./env";
import type { ForgeEvent } from "./core/forge-event";
import type { JobHandler } from "./core/job-context";
import type { JobKind } from "./core/machine";
import type { CronTask, Pipeline, PipelineModule, PlannedJob, QueueHandler, RepoFacts } from "./core/pipeline";

/** The bindings of a Hono app whose routes read the registry (`c.var.registry`). */
export interface RegistryBindings {
  Bindings: Env;
  Variables: { registry: Registry };
}

/** The one setting the registry reads: which pipelines this deployment runs. */
export interface Setting {
  PIPELINES?: string;
}

export type ParsedPipelines = { ok: true; value: Record<string, unknown> } | { ok: false; problems: string[] };

/** The names `PIPELINES` lists (comma-separated, spaces ignored); empty or `*` means all. */
function wantedNames(setting: string | undefined): string[] | null {
  const wanted = (setting ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  return wanted.length === 0 || wanted.includes("*") ? null : wanted;
}

/**
 * The modules this deployment runs: all of them, or the ones `PIPELINES` names, so that a deployment holding
 * only some bindings (a mirror consumer in its own partition) runs no other pipeline's work.
 */
export function enabledModules(env: Setting, all: readonly PipelineModule[]): PipelineModule[] {
  const wanted = wantedNames(env.PIPELINES);
  if (!wanted) return [...all];
  const known = new Set(all.map((m) => m.pipeline.name));
  for (const name of wanted) if (!known.has(name)) console.error(`PIPELINES names unknown pipeline "${name}"`);
  return all.filter((m) => wanted.includes(m.pipeline.name));
}

export class Registry {
  /** Every module of the list, enabled or not: a job of a disabled pipeline still has a kind to be judged by. */
  readonly all: readonly PipelineModule[];
  /** The modules this deployment runs. */
  readonly enabled: readonly PipelineModule[];
  private readonly setting: string;
  private readonly kinds = new Map<string, JobKind>();
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly enabledNames: Set<string>;

  constructor(all: readonly PipelineModule[], env: Setting = {}) {
    this.all = all;
    this.setting = env.PIPELINES ?? "";
    for (const m of all) {
      const name = m.pipeline.name;
      if (this.pipelines.has(name)) throw new Error(`pipeline ${name} is listed twice`);
      this.pipelines.set(name, m.pipeline);
      for (const kind of m.pipeline.kinds) {
        if (kind.pipeline !== name)
          throw new Error(`job kind ${kind.kind} belongs to pipeline ${kind.pipeline}, not ${name}`);
        if (this.kinds.has(kind.kind)) throw new Error(`job kind ${kind.kind} is declared twice`);
        if (!m.handlers[kind.kind])
          throw new Error(`pipeline ${name} declares job kind ${kind.kind} but no handler for it`);
        this.kinds.set(kind.kind, kind);
      }
    }
    this.enabled = enabledModules(env, all);
    this.enabledNames = new Set(this.enabled.map((m) => m.pipeline.name));
  }

  pipelineNames(): string[] {
    return [...this.pipelines.keys()];
  }

  isEnabled(pipeline: string): boolean {
    return this.enabledNames.has(pipeline);
  }

  /** Why a pipeline's work is refused here, in words an operator can act on. */
  disabledReason(pipeline: string): string {
    return `the ${pipeline} pipeline is not enabled in this deployment (PIPELINES=${JSON.stringify(this.setting)})`;
  }

  /** Any listed kind, enabled or not: JobObject keeps enforcing the states of jobs it already holds. */
  kind(name: string): JobKind | undefined {
    return this.kinds.get(name);
  }

  /** The handler of a kind whose pipeline runs here; undefined for an unknown kind or a disabled pipeline. */
  handler(kind: string): JobHandler | undefined {
    const known = this.kinds.get(kind);
    if (!known || !this.isEnabled(known.pipeline)) return undefined;
    return this.enabled.find((m) => m.pipeline.name === known.pipeline)?.handlers[kind];
  }

  /** The pipeline that consumes queue `name`, enabled or not, and its handler. */
  queue(name: string): { module: PipelineModule; handle: QueueHandler } | undefined {
    for (const module of this.all) {
      const q = module.queues?.find((q) => q.queue === name);
      if (q) return { module, handle: q.handle };
    }
    return undefined;
  }

  cronTasks(): CronTask[] {
    return this.enabled.flatMap((m) => m.cron ?? []);
  }

  /**
   * Validates a repo's `pipelines` object: every key must name a listed pipeline that runs here, and its value
   * must pass that pipeline's schema (`false` or `null` turns one off). Returns the parsed object, or the problems.
   */
  parsePipelines(value: unknown): ParsedPipelines {
    if (value === undefined || value === null) return { ok: true, value: {} };
    if (typeof value !== "object" || Array.isArray(value))
      return { ok: false, problems: ["pipelines must be an object"] };
    const out: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [name, config] of Object.entries(value)) {
      const pipeline = this.pipelines.get(name);
      if (!pipeline) {
        problems.push(`unknown pipeline "${name}" (known: ${this.pipelineNames().join(", ") || "none"})`);
        continue;
      }
      if (config === false || config === null) continue; // disabled
      if (!this.isEnabled(name)) {
        problems.push(this.disabledReason(name));
        continue;
      }
      const parsed = pipeline.config.safeParse(config === true ? {} : config);
      if (parsed.success) out[name] = parsed.data;
      else
        problems.push(
          ...parsed.error.issues.map(
            (i) => `pipelines.${name}${i.path.map((p) => "." + String(p)).join("")}: ${i.message}`,
          ),
        );
    }
    return problems.length ? { ok: false, problems } : { ok: true, value: out };
  }

  /**
   * Every job the repo's pipelines plan for an event. A pipeline configured on the repo but not run by this
   * deployment plans nothing; `skipped` names it so the event log can say why.
   */
  planJobs(
    event: ForgeEvent,
    config: Record<string, unknown>,
    repo: RepoFacts,
  ): { planned: PlannedJob[]; skipped: string[] } {
    const planned: PlannedJob[] = [];
    const skipped: string[] = [];
    for (const [name, pipelineConfig] of Object.entries(config)) {
      const pipeline = this.pipelines.get(name);
      if (!pipeline) continue;
      if (!this.isEnabled(name)) skipped.push(name);
      else planned.push(...pipeline.plan(event, pipelineConfig, repo));
    }
    return { planned, skipped };
  }

  /** Every job the repo's enabled pipelines plan for one lifecycle step (registry room), by pipeline. */
  planLifecycle(
    step: "init" | "beforeFreeze" | "moved",
    config: Record<string, unknown>,
    repo: RepoFacts,
    from?: RepoFacts,
  ): Map<string, PlannedJob[]> {
    const out = new Map<string, PlannedJob[]>();
    for (const [name, pipelineConfig] of Object.entries(config)) {
      const hook = this.isEnabled(name) ? this.pipelines.get(name)?.lifecycle?.[step] : undefined;
      if (hook) out.set(name, hook(pipelineConfig, repo, from ?? repo));
    }
    return out;
  }
}

/** A registry per PIPELINES value, built once: what the entry and the Durable Objects ask for with their env. */
export function registries(all: readonly PipelineModule[]): (env: Setting) => Registry {
  const built = new Map<string, Registry>();
  return (env) => {
    const key = env.PIPELINES ?? "";
    let registry = built.get(key);
    if (!registry) built.set(key, (registry = new Registry(all, env)));
    return registry;
  };
}
