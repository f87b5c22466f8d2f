// A pipeline for testing the spine's job engine: each attempt of a `probe` job does what its script says.
// The test Worker (test/worker.ts) lists it beside the real pipelines.

import { z } from "zod";
import type { JobHandler } from "../../workers/core/job-context";
import type { Pipeline, PipelineModule } from "../../workers/core/pipeline";
import { defineKind } from "../../workers/core/machine";
import { strong, weak, gone } from "../../workers/core/errors";

/** What attempt n does: `ok` finishes, `weak`/`strong`/`gone` fail so, `crash` throws an untyped error,
 * `hang` returns leaving the job running (only the watchdog ends it), `defer` asks to run later,
 * `slow` heartbeats for a while before finishing. */
export type ProbeStep = "ok" | "weak" | "strong" | "gone" | "crash" | "hang" | "defer" | "slow";

export const probeKind = defineKind({
  kind: "probe",
  pipeline: "probe",
  states: ["created", "running", "done", "failed", "missing"],
  initial: "created",
  final: ["done", "missing"],
  transitions: { created: ["running"], running: ["done"] },
  failed: "failed",
  notFound: "missing",
  manualRetry: true,
  heartbeatTimeoutMs: 60_000,
  backoffBaseMs: 1_000,
});

const config = z.strictObject({
  script: z.array(z.enum(["ok", "weak", "strong", "gone", "crash", "hang", "defer", "slow"])).default(["ok"]),
  coalesce: z.boolean().default(false),
});

const probePipeline: Pipeline<z.infer<typeof config>> = {
  name: "probe",
  config,
  kinds: [probeKind],
  plan(event, cfg) {
    if (event.kind !== "push") return [];
    return [
      { kind: "probe", input: { script: cfg.script, ref: event.ref }, ...(cfg.coalesce ? { coalesce: "probe" } : {}) },
    ];
  },
};

const runProbe: JobHandler = async (ctx) => {
  const { script } = ctx.input<{ script: ProbeStep[] }>();
  const step = script[Math.min(ctx.job.attempts - 1, script.length - 1)] ?? "ok";
  if (ctx.state === "created") await ctx.to("running", `attempt ${ctx.job.attempts}`);
  const first = await ctx.step("first", async () => ({ at: ctx.job.attempts }));
  await ctx.log(`attempt ${ctx.job.attempts}: ${step} (first step done at attempt ${first.at})`);
  switch (step) {
    case "ok":
      return ctx.to("done", "script said ok", { attempts: ctx.job.attempts });
    case "slow":
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await ctx.heartbeat(`slow ${i}`);
      }
      return ctx.to("done", "slow but done");
    case "weak":
      throw weak(`transient trouble at attempt ${ctx.job.attempts}`);
    case "strong":
      throw strong("this cannot work");
    case "gone":
      throw gone("the thing is not there");
    case "crash":
      throw new TypeError("probe crashed");
    case "defer":
      return ctx.later(Date.now() + 60_000, "waiting for something else");
    case "hang":
      return;
  }
};

export const probeModule: PipelineModule = { pipeline: probePipeline, handlers: { probe: runProbe } };
