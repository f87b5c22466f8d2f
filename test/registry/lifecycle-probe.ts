// A pipeline for testing repo lifecycles: `lifeprobe` has an init (its first work), a last job before a freeze and
// a job after a move; each job does what the test said for its repo (`outcomes`), attempt by attempt.
// The test Worker (test/worker.ts) lists it; the tests read `ran` and set `outcomes` (they share one isolate).

import { z } from "zod";
import type { JobHandler } from "../../workers/core/job-context";
import type { Pipeline, PipelineModule } from "../../workers/core/pipeline";
import { defineKind } from "../../workers/core/machine";
import { strong, weak } from "../../workers/core/errors";

export type LifeStep = "ok" | "weak" | "strong" | "hold";

/** What the next jobs planned with a repo URL do, one entry per job, first first; empty means `ok`. */
export const outcomes = new Map<string, LifeStep[]>();
/** The jobs run, by repo id: their step name (init, before-freeze, moved, push) and the repo URL they were planned with. */
export const ran = new Map<string, { step: string; url: string }[]>();
/** Jobs told to `hold` wait until the test releases them here (by repo id). */
export const released = new Set<string>();

export const lifeprobeKind = defineKind({
  kind: "lifeprobe",
  pipeline: "lifeprobe",
  states: ["created", "done", "failed"],
  initial: "created",
  final: ["done"],
  transitions: { created: ["done"] },
  failed: "failed",
  manualRetry: true,
  heartbeatTimeoutMs: 60_000,
  backoffBaseMs: 1_000,
});

const config = z.strictObject({ label: z.string().default("x") });

const job = (step: string, key: string, url: string) => ({ kind: "lifeprobe", input: { step, key, url } });

const lifeprobePipeline: Pipeline<z.infer<typeof config>> = {
  name: "lifeprobe",
  config,
  kinds: [lifeprobeKind],
  plan(event, _cfg, repo) {
    return event.kind === "push" ? [job("push", repo.id, repo.url)] : [];
  },
  lifecycle: {
    init: (_cfg, repo) => [job("init", repo.id, repo.url)],
    beforeFreeze: (_cfg, repo) => [job("before-freeze", repo.id, repo.url)],
    moved: (_cfg, repo, from) => [
      { kind: "lifeprobe", input: { step: "moved", key: repo.id, url: repo.url, from: from.url } },
    ],
  },
};

const runLifeprobe: JobHandler = async (ctx) => {
  const input = ctx.input<{ step: string; key: string; url: string }>();
  const script = outcomes.get(input.url) ?? [];
  const what = script.shift() ?? "ok";
  const list = ran.get(input.key) ?? [];
  list.push({ step: input.step, url: input.url });
  ran.set(input.key, list);
  if (what === "hold") {
    for (let i = 0; i < 400 && !released.has(input.key); i++) {
      await new Promise((r) => setTimeout(r, 50));
      await ctx.heartbeat("held by the test");
    }
  }
  if (what === "strong") throw strong(`init could not be done for ${input.step}`);
  if (what === "weak") throw weak("transient");
  return ctx.to("done", input.step);
};

export const lifeprobeModule: PipelineModule = {
  pipeline: lifeprobePipeline as Pipeline,
  handlers: { lifeprobe: runLifeprobe },
};
