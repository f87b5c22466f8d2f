// PIPELINES: a deployment runs all pipelines, or only the ones it names.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { app } from "../../workers/app";
import { z } from "zod";
import { enabledModules, type PipelineModule } from "../../workers/pipelines";

function fake(name: string): PipelineModule {
  return { pipeline: { name, config: z.object({}), kinds: [], plan: () => [] }, handlers: {} };
}

describe("enabledModules", () => {
  const all = [fake("archive"), fake("tagbuild"), fake("mirror")];
  const names = (env: { PIPELINES?: string }) => enabledModules(env, all).map((m) => m.pipeline.name);

  it("runs every pipeline by default or with *", () => {
    expect(names({})).toEqual(["archive", "tagbuild", "mirror"]);
    expect(names({ PIPELINES: "" })).toEqual(["archive", "tagbuild", "mirror"]);
    expect(names({ PIPELINES: "*" })).toEqual(["archive", "tagbuild", "mirror"]);
  });

  it("runs only the named ones, ignoring spaces and unknown names", () => {
    expect(names({ PIPELINES: "mirror" })).toEqual(["mirror"]);
    expect(names({ PIPELINES: " tagbuild , archive " })).toEqual(["archive", "tagbuild"]);
    expect(names({ PIPELINES: "mirror,publish" })).toEqual(["mirror"]);
  });
});

describe("a deployment that runs only some pipelines", () => {
  it("answers another pipeline's routes with a clear 404 and serves its own", async () => {
    const only = { ...env, PIPELINES: "mirror" };
    const off = await app.fetch(new Request("http://forgeline.test/api/tagbuild/jobs"), only);
    expect(off.status).toBe(404);
    expect(((await off.json()) as any).error.code).toBe("pipeline_disabled");
    const on = await app.fetch(new Request("http://forgeline.test/api/tagbuild/jobs", { headers: { Accept: "application/json" } }), env);
    expect(on.status).toBe(200);
    expect((await app.fetch(new Request("http://forgeline.test/api/mirrors/metrics"), only)).status).toBe(200);
  });
});
