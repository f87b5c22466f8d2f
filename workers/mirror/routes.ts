// /api/mirrors: the desired state (admin token for changes), each mirror's outcome, and the metrics.

import { Hono } from "hono";
import { z } from "zod";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { mirrors } from "../../schema";
import { conflict, notFound } from "../core/errors";
import { requireAdmin } from "../core/auth";
import { jsonBody } from "../core/validate";
import { isUlid, ulid } from "../core/ids";
import { parseRepoUrl } from "../core/repo-url";
import { checkOutboundUrl, outboundPolicy } from "../core/outbound";
import { remote } from "../core/remote";
import type { RepoObject } from "../../durable-objects/repo";
import type { Env } from "../env";
import { isBranchName, isDestinationPath } from "./keys";
import { allMirrors, mirrorById, mirrorView, runStats } from "./store";
import { renderMetrics } from "./metrics";
import { roleEnabled } from "./roles";
import { submitProduce } from "./submit";

const branch = z.string().min(1).max(255).refine(isBranchName, { message: "is not a valid branch name" });
const name = z.string().min(1).max(255).refine(isDestinationPath, {
  message: "must be path segments of letters, digits, `_`, `.` and `-`, none of them `.` or `..`",
});

const createSchema = z.strictObject({
  source: z.strictObject({ url: z.string().min(1).max(2048), branch }),
  destination: z.strictObject({ url: z.string().min(1).max(2048), group: name, project: name, branch }),
});

export const mirrorRoutes = new Hono<{ Bindings: Env }>();

mirrorRoutes.get("/", async (c) => {
  return c.json({ mirrors: (await allMirrors(c.env.DB)).map(mirrorView) });
});

mirrorRoutes.get("/metrics", async (c) => {
  const [runs, specs] = await Promise.all([runStats(c.env.DB), allMirrors(c.env.DB)]);
  return c.text(renderMetrics(runs, specs, Date.now()), 200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
  });
});

mirrorRoutes.post("/", requireAdmin, jsonBody(createSchema), async (c) => {
  const input = c.req.valid("json");
  const env = c.env;
  const source = parseRepoUrl(input.source.url);
  checkOutboundUrl(source.cloneUrl, outboundPolicy(env), "source.url");
  const destination = parseRepoUrl(input.destination.url);
  checkOutboundUrl(destination.cloneUrl, outboundPolicy(env), "destination.url");
  const row = {
    id: ulid(),
    sourceUrl: source.url,
    sourceCloneUrl: source.cloneUrl,
    sourceBranch: input.source.branch,
    destinationUrl: destination.url,
    destinationCloneUrl: destination.cloneUrl,
    destinationHost: destination.host,
    group: input.destination.group,
    project: input.destination.project,
    destinationBranch: input.destination.branch,
    createdAt: Date.now(),
  };
  const inserted = await drizzle(env.DB)
    .insert(mirrors)
    .values(row)
    .onConflictDoNothing()
    .returning({ id: mirrors.id });
  if (!inserted.length)
    throw conflict(
      `destination ${row.group}/${row.project} branch ${row.destinationBranch} already has a mirror; DELETE it first`,
      "mirror_exists",
    );
  let jobs: { id: string; kind: string }[] = [];
  if (roleEnabled(env, "producer")) {
    await enableOnSource(env, source);
    jobs = await submitProduce(env, source.url, row.sourceBranch);
  }
  return c.json({ mirror: mirrorView((await mirrorById(env.DB, row.id))!), jobs }, 201);
});

mirrorRoutes.get("/:id", async (c) => {
  const m = isUlid(c.req.param("id")) ? await mirrorById(c.env.DB, c.req.param("id")) : null;
  if (!m) throw notFound(`no mirror ${c.req.param("id")}`);
  return c.json({ mirror: mirrorView(m) });
});

/** Runs the producer for this mirror's source branch now, whatever the webhooks and the reconcile do. */
mirrorRoutes.post("/:id/sync", requireAdmin, async (c) => {
  const env = c.env;
  const m = isUlid(c.req.param("id")) ? await mirrorById(env.DB, c.req.param("id")) : null;
  if (!m) throw notFound(`no mirror ${c.req.param("id")}`);
  if (!roleEnabled(env, "producer"))
    throw conflict("this deployment is not a mirror producer (MIRROR_ROLE)", "not_producer");
  return c.json({ jobs: await submitProduce(env, m.sourceUrl, m.sourceBranch) }, 202);
});

mirrorRoutes.delete("/:id", requireAdmin, async (c) => {
  const id = c.req.param("id");
  const deleted = isUlid(id)
    ? await drizzle(c.env.DB).delete(mirrors).where(eq(mirrors.id, id)).returning({ id: mirrors.id })
    : [];
  if (!deleted.length) throw notFound(`no mirror ${id}`);
  // Its objects in SYNC go at the producer's next reconcile (objects whose destination is no longer configured).
  return c.json({ deleted: id });
});

/** Pushes to the source then start the producer: the source repo gets the mirror pipeline, registered if need be. */
async function enableOnSource(env: Env, source: ReturnType<typeof parseRepoUrl>): Promise<void> {
  const stub = remote<RepoObject>(env.REPO, source.key);
  const { repo, created } = await stub.register(source, { mirror: {} }, "mirror");
  if (!created && !Object.hasOwn(repo.pipelines, "mirror")) await stub.configure({ ...repo.pipelines, mirror: {} });
}
