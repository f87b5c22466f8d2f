// Which forge events start a build (a pushed branch the config wants, or a tag) and the config that says so.

import { z } from "zod";
import type { ForgeEvent } from "../core/forge-event";
import { ZERO_ID } from "../core/forge-event";
import type { PlannedJob, RepoFacts } from "../core/pipeline";
import { parseRepoUrl } from "../core/repo-url";
import { PUBLISH } from "./kind";
import type { PublishInput } from "./job";

export const publishConfig = z.strictObject({
  /** Branches whose pushes are built (default: every branch). */
  branches: z.array(z.string().min(1).max(250)).max(100).optional(),
  /** Whether pushed tags are built (default true). */
  tags: z.boolean().default(true),
  /** Where the final build_log.json is POSTed, signed with the repo's callback secret. */
  callback: z.url({ protocol: /^https?$/ }).optional(),
});

export type PublishConfig = z.infer<typeof publishConfig>;

/** One build per push of a wanted branch or tag; a newer push to the same ref joins a waiting build of it. */
export function planPublish(event: ForgeEvent, cfg: PublishConfig, repo: RepoFacts, manual = false): PlannedJob[] {
  if ((event.kind !== "push" && event.kind !== "tag_push") || !event.ref) return [];
  // A deleted ref builds nothing; an admin's rebuild names no commit (the ref's head is built).
  if (!manual && (!event.after || event.after === ZERO_ID)) return [];
  if (event.ref.startsWith("refs/tags/")) {
    if (!cfg.tags) return [];
  } else if (event.ref.startsWith("refs/heads/")) {
    if (cfg.branches && !cfg.branches.includes(event.ref.slice("refs/heads/".length))) return [];
  } else return [];
  const address = parseRepoUrl(repo.url);
  const input: PublishInput = {
    ref: event.ref,
    commit: event.after && event.after !== ZERO_ID ? event.after : null,
    before: event.before && event.before !== ZERO_ID ? event.before : null,
    // One path segment per owner in the site's URL: a subgroup owner (`group/sub`) is published as `group+sub`.
    owner: address.owner.replace(/\//g, "+"),
    name: address.name,
    repoUrl: repo.url,
    cloneUrl: repo.cloneUrl,
    host: repo.host,
    callback: cfg.callback ?? null,
  };
  return [{ kind: PUBLISH, input: input as never, coalesce: `ref:${event.ref}` }];
}
