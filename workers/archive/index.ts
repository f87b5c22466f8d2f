// The archive pipeline: visits of origins (job kind `archive`) planned on pushes and tags, the recurrent
// scheduler on the cron, "save code now", and the Software Heritage–compatible read API under /api/1.

import { z } from "zod";
import type { Pipeline, PipelineModule } from "../core/pipeline";
import { archiveKind, plannedVisit } from "./kind";
import { runVisit } from "./visit";
import { saveRoutes } from "./save";
import { archiveApi } from "./api";
import { scheduleTick } from "./scheduler-table";

const config = z.strictObject({
  /** Whether the scheduler keeps revisiting the repo between pushes (Software Heritage–style). */
  recurrent: z.boolean().default(true),
  /** Contents over this many bytes are kept as skipped contents; at most ARCHIVE_MAX_CONTENT_BYTES. */
  maxContentBytes: z.number().int().positive().optional(),
});

export const archivePipeline: Pipeline<z.infer<typeof config>> = {
  name: "archive",
  config,
  kinds: [archiveKind],
  plan(event, cfg, repo) {
    // Pushes, tags and deletions all change what the snapshot should record; a ping changes nothing.
    if (event.kind === "ping") return [];
    return [plannedVisit(repo.url, repo.cloneUrl, "webhook", cfg.recurrent, cfg.maxContentBytes)];
  },
};

export const archiveModule: PipelineModule = {
  pipeline: archivePipeline,
  handlers: { [archiveKind.kind]: runVisit },
  // Save code now first: the read API's /origin/* routes must not take its paths.
  routes: [
    { path: "/api/1", app: saveRoutes },
    { path: "/api/1", app: archiveApi },
  ],
  cron: [{ name: "archive-scheduler", run: async (env, now) => void (await scheduleTick(env, now)) }],
};
