// Routes of the registry room: registry streams (/api/registries), workflow runs (/api/workflows), and the repo
// lifecycle calls (/api/repos/:id/move|freeze|unfreeze|error) that admins and observers make.

import { Hono } from "hono";
import { z } from "zod";
import { drizzle } from "drizzle-orm/d1";
import { sql } from "drizzle-orm";
import type { Env } from "../env";
import type { RegistryObject } from "../../durable-objects/registry";
import { observerTokens, type WorkflowObject } from "../../durable-objects/workflow";
import type { RepoObject } from "../../durable-objects/repo";
import { remote, type Remote } from "../core/remote";
import { badRequest, conflict, forbidden, notFound, unauthorized, unwrap } from "../core/errors";
import { requireAdmin } from "../core/auth";
import { safeEqual } from "../core/digest";
import { jsonBody, optionalId, queryOf, wholeNumber } from "../core/validate";
import { isUlid, ulid } from "../core/ids";
import { parseRepoUrl } from "../core/repo-url";
import type { WorkflowKind } from "../core/lifecycle";
import { forges, repos } from "../../schema";
import { repoStub, repoView } from "../api/repos";

const pageQuery = z.object({
  after: optionalId(isUlid, "must be an event id (ULID)"),
  limit: wholeNumber(1, 500, 100),
  prefix: z.string().max(1024).optional(),
});
const moveSchema = z.strictObject({ url: z.string().min(1).max(2048) });
const errorSchema = z.strictObject({ strength: z.enum(["strong", "weak"]), message: z.string().min(1).max(4096) });
const stepSchema = z.strictObject({
  event: z.enum(["released", "acquired"]),
  by: z.string().min(1).max(200).optional(),
});

function upgradeOrThrow(header: string | undefined): void {
  if (header?.toLowerCase() !== "websocket")
    throw badRequest("this endpoint is a WebSocket: send Upgrade: websocket", "upgrade_required");
}

function bearerOf(header: string | undefined): string {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match) throw unauthorized("this call needs Authorization: Bearer <observer token>");
  return match[1]!.trim();
}

/** The observer a request speaks for: `observer-<n>` for the n-th token of OBSERVER_TOKENS, else a refusal. */
async function observerOf(header: string | undefined, env: Env): Promise<string> {
  const given = bearerOf(header);
  const tokens = observerTokens(env);
  let found = 0;
  for (let i = 0; i < tokens.length; i++) if ((await safeEqual(given, tokens[i]!)) && !found) found = i + 1; // no early exit
  if (found) return `observer-${found}`;
  throw forbidden("that token is not an observer's (OBSERVER_TOKENS)", "not_an_observer");
}

/** Observers and admins may both report errors on a repo. */
async function reporterOf(header: string | undefined, env: Env): Promise<string> {
  if (env.ADMIN_TOKEN && (await safeEqual(bearerOf(header), env.ADMIN_TOKEN))) return "admin";
  return observerOf(header, env);
}

// ---- /api/registries ----

export const registryRoutes = new Hono<{ Bindings: Env }>();

registryRoutes.get("/", async (c) => {
  // A registry is a forge host Forgeline knows: a registered forge or the host of a registered repo.
  const rows = await drizzle(c.env.DB).all<{ host: string; repos: number; forge: string | null }>(sql`
    SELECT h.host AS host, (SELECT COUNT(*) FROM ${repos} r WHERE r.host = h.host) AS repos,
           (SELECT kind FROM ${forges} f WHERE f.host = h.host) AS forge
    FROM (SELECT host FROM ${forges} UNION SELECT DISTINCT host FROM ${repos}) h ORDER BY h.host`);
  return c.json({ registries: rows.map((r) => ({ host: r.host, forge: r.forge, repos: Number(r.repos) })) });
});

registryRoutes.get("/:host/events", queryOf(pageQuery), async (c) => {
  const q = c.req.valid("query");
  const host = c.req.param("host").toLowerCase();
  return c.json(await remote<RegistryObject>(c.env.REGISTRY, host).events(q.after ?? null, q.limit, q.prefix ?? ""));
});

registryRoutes.get("/:host/events/watch", queryOf(pageQuery), async (c) => {
  upgradeOrThrow(c.req.header("Upgrade"));
  const stub = c.env.REGISTRY.get(c.env.REGISTRY.idFromName(c.req.param("host").toLowerCase()));
  return stub.fetch(c.req.raw);
});

// ---- /api/workflows ----

export const workflowRoutes = new Hono<{ Bindings: Env }>();

function workflowStub(env: Env, id: string) {
  if (!isUlid(id)) throw notFound(`no workflow ${id}`);
  return remote<WorkflowObject>(env.WORKFLOW, id);
}

workflowRoutes.get("/:id", async (c) => {
  const run = await workflowStub(c.env, c.req.param("id")).view();
  if (!run) throw notFound(`no workflow ${c.req.param("id")}`);
  return c.json({ workflow: run });
});

workflowRoutes.get("/:id/events", queryOf(pageQuery), async (c) => {
  const q = c.req.valid("query");
  const stub = workflowStub(c.env, c.req.param("id"));
  if (!(await stub.view())) throw notFound(`no workflow ${c.req.param("id")}`);
  return c.json(await stub.events(q.after ?? null, q.limit));
});

workflowRoutes.get("/:id/events/watch", queryOf(pageQuery), async (c) => {
  upgradeOrThrow(c.req.header("Upgrade"));
  if (!isUlid(c.req.param("id"))) throw notFound(`no workflow ${c.req.param("id")}`);
  return c.env.WORKFLOW.get(c.env.WORKFLOW.idFromName(c.req.param("id"))).fetch(c.req.raw);
});

workflowRoutes.post("/:id/events", jsonBody(stepSchema), async (c) => {
  const observer = await observerOf(c.req.header("Authorization"), c.env);
  const input = c.req.valid("json");
  const by = input.by ? `${observer} (${input.by})` : observer;
  const run = unwrap(await workflowStub(c.env, c.req.param("id")).observe(input.event, by));
  return c.json({ workflow: run });
});

// ---- /api/repos/:id/… (lifecycle) ----

export const lifecycleRoutes = new Hono<{ Bindings: Env }>();

/** Starts a workflow on a repo; a move first reserves its destination, so two repos never take one URL. */
export async function startWorkflow(
  env: Env,
  named: Remote<RepoObject>,
  kind: WorkflowKind,
  url: string | null,
  by: string,
) {
  const repo = await named.view();
  if (!repo) throw notFound("no such repo");
  const stub = remote<RepoObject>(env.REPO, repo.key);
  const id = ulid();
  const to = url === null ? null : parseRepoUrl(url);
  if (to && to.url === repo.url) throw conflict("the repo is already at that URL", "same_url");
  const destination = to && to.key !== repo.key ? remote<RepoObject>(env.REPO, to.key) : null;
  const claimed = destination ? unwrap(await destination.claimAlias(repo.key)) : false;
  const begun = await stub.beginWorkflow(id, kind, to, by);
  // Only a reservation this call made is undone: the destination may be the repo's own earlier name.
  if (!begun.ok && claimed) await destination!.dropAlias(repo.key);
  return { workflow: id, repo: unwrap(begun) };
}

for (const [path, kind] of [
  ["freeze", "freeze-repo"],
  ["unfreeze", "unfreeze-repo"],
] as const) {
  lifecycleRoutes.post(`/:id/${path}`, requireAdmin, async (c) => {
    const started = await startWorkflow(c.env, await repoStub(c.env, c.req.param("id")), kind, null, "api");
    return c.json({ workflow: started.workflow, repo: repoView(started.repo) }, 202);
  });
}

lifecycleRoutes.post("/:id/move", requireAdmin, jsonBody(moveSchema), async (c) => {
  const started = await startWorkflow(
    c.env,
    await repoStub(c.env, c.req.param("id")),
    "move-repo",
    c.req.valid("json").url,
    "api",
  );
  return c.json({ workflow: started.workflow, repo: repoView(started.repo) }, 202);
});

lifecycleRoutes.post("/:id/error", jsonBody(errorSchema), async (c) => {
  const by = await reporterOf(c.req.header("Authorization"), c.env);
  const input = c.req.valid("json");
  const result = unwrap(
    await (await repoStub(c.env, c.req.param("id"))).reportError(input.strength, input.message, by),
  );
  const repo = await (await repoStub(c.env, c.req.param("id"))).view();
  return c.json({ ...result, repo: repo && repoView(repo) });
});
