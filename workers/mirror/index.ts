// The mirror pipeline (modelled on app-sre's git-partition-sync): encrypted repo tarballs carried from the
// producer's partition to the consumer's through the SYNC bucket, and pushed there. See README.md here.

import { z } from "zod";
import type { PipelineModule } from "../core/pipeline";
import { consumeKind, produceKind } from "./kinds";
import { produce } from "./producer";
import { consume } from "./consumer";
import { mirrorRoutes } from "./routes";
import { onSyncEvents, reconcileTick } from "./reconcile";

export const SYNC_EVENTS_QUEUE = "forgeline-sync-events";

export const mirrorModule: PipelineModule = {
  pipeline: {
    name: "mirror",
    // A repo with the mirror pipeline enabled starts the producer on pushes; the specs say which branches matter.
    config: z.strictObject({}),
    kinds: [produceKind, consumeKind],
    plan(event, _config, repo) {
      if (event.kind !== "push" || !event.ref?.startsWith("refs/heads/")) return [];
      const branch = event.ref.slice("refs/heads/".length);
      return [{ kind: "mirror-produce", input: { sourceUrl: repo.url, branch }, coalesce: `produce:${branch}` }];
    },
  },
  handlers: { "mirror-produce": produce, "mirror-consume": consume },
  routes: [{ path: "/api/mirrors", app: mirrorRoutes }],
  cron: [{ name: "mirror-reconcile", run: reconcileTick }],
  queues: [{ queue: SYNC_EVENTS_QUEUE, handle: onSyncEvents }],
};
