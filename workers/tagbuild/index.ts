// The tag-build pipeline: a pushed tag whose message asks our distro for an upload becomes a build job
// handed to an external builder (modelled on Debian's tag2upload service manager).

import { z } from "zod";
import type { ForgeEvent } from "../core/forge-event";
import type { Pipeline, PipelineModule, PlannedJob, RepoFacts } from "../core/pipeline";
import { TAGBUILD, tagbuildKind } from "./kind";
import { isDistroName, plausibleTagName } from "./metadata";
import { runTagbuild, type TagbuildInput } from "./job";
import { tagbuildRoutes, builderRoutes } from "./routes";
import { tagbuildCron } from "./cron";

const config = z.strictObject({
  distro: z.string().refine(isDistroName, { message: "must be a distro name (lower case letters, digits, . + -)" }),
  /** A regular expression the whole tag name must match, e.g. `^debian/[0-9]`. */
  allowedTagPattern: z
    .string()
    .max(500)
    .refine(
      (p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      },
      { message: "must be a valid regular expression" },
    )
    .optional(),
});

export type TagbuildConfig = z.infer<typeof config>;

/** Which tag events become jobs: plausible tag names of our distro (and the allowed pattern), pushed or deleted. */
export function planTagbuild(event: ForgeEvent, cfg: TagbuildConfig, repo: RepoFacts): PlannedJob[] {
  if (event.kind !== "tag_push" && event.kind !== "tag_delete") return [];
  const name = event.tag?.name ?? event.ref?.replace(/^refs\/tags\//, "");
  if (!name) return [];
  if (!plausibleTagName(name, cfg.distro).ok) return [];
  if (cfg.allowedTagPattern && !new RegExp(cfg.allowedTagPattern).test(name)) return [];
  const pushedId = event.kind === "tag_push" ? (event.tag?.objectId ?? null) : null;
  const input: TagbuildInput = {
    tagName: name,
    pushedId,
    deleted: event.kind === "tag_delete",
    message: event.tag?.message ?? null,
    distro: cfg.distro,
    repoUrl: repo.url,
    // The registered clone URL, not the payload's: the repo is fetched from where it was registered.
    cloneUrl: repo.cloneUrl,
    host: repo.host,
  };
  return [{ kind: TAGBUILD, input: input as never, coalesce: `tag:${name}:${pushedId ?? ""}:${event.kind}` }];
}

const tagbuildPipeline: Pipeline<TagbuildConfig> = {
  name: TAGBUILD,
  config,
  kinds: [tagbuildKind],
  plan: planTagbuild,
};

export const tagbuildModule: PipelineModule = {
  pipeline: tagbuildPipeline,
  handlers: { [TAGBUILD]: runTagbuild },
  routes: [
    { path: "/api/tagbuild", app: tagbuildRoutes },
    { path: "/api/builders", app: builderRoutes },
  ],
  cron: [tagbuildCron],
};
