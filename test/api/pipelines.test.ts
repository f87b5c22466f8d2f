// PIPELINES: a deployment runs all pipelines, or only the ones it names.

import { describe, expect, it } from "vitest";
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
