// /api/repos: register repos with their pipeline config, read them, read and watch their event logs.

import { Hono } from "hono";
import { z } from "zod";
import { drizzle } from "drizzle-orm/d1";
import { and, desc, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Env } from "../env";
import type { Repo, RepoObject } from "../../durable-objects/repo";
import { remote } from "../core/remote";
import { repos } from "../../schema";
import { badRequest, conflict, notFound } from "../core/errors";
import { requireAdmin } from "../core/auth";
import { jsonBody, optionalId, queryOf, wholeNumber } from "../core/validate";
import { isUlid } from "../core/ids";
import { parseRepoUrl } from "../core/repo-url";
import { checkOutboundUrl, outboundPolicy } from "../core/outbound";
import type { Registry, RegistryBindings } from "../kinds";

const registerSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  pipelines: z.record(z.string(), z.unknown()).optional(),
});
const patchSchema = z.strictObject({ pipelines: z.record(z.string(), z.unknown()) });
const listQuery = z.object({
  host: z.string().optional(),
  /** Part of the URL, any case. */
  q: z.string().max(200).optional(),
  /** Only repos that have (true) or have not (false) a current error. */
  error: z.enum(["true", "false"]).optional(),
  cursor: optionalId(isUlid, "must be a repo id"),
  limit: wholeNumber(1, 500, 100),
});
const eventsQuery = z.object({
  after: optionalId(isUlid, "must be an event id (ULID)"),
  limit: wholeNumber(1, 500, 100),
});

function pipelinesOrThrow(registry: Registry, value: unknown): Record<string, unknown> {
  const parsed = registry.parsePipelines(value);
  if (!parsed.ok) throw badRequest(parsed.problems.join("; "), "invalid_pipelines");
  return parsed.value;
}

/** The repo's public shape. */
export function repoView(repo: Repo) {
  return {
    id: repo.id,
    url: repo.url,
    cloneUrl: repo.cloneUrl,
    host: repo.host,
    pipelines: repo.pipelines,
    error: repo.error,
    createdAt: repo.createdAt,
    updatedAt: repo.updatedAt,
    lastEventAt: repo.lastEventAt,
  };
}

/** The RepoObject of a repo id (ids live in D1; the object is named by the repo's key). */
export async function repoStub(env: Env, id: string) {
  if (!isUlid(id)) throw notFound(`no repo ${id}`);
  const row = (await drizzle(env.DB).select({ key: repos.key }).from(repos).where(eq(repos.id, id)).limit(1))[0];
  if (!row) throw notFound(`no repo ${id}`);
  return remote<RepoObject>(env.REPO, row.key);
}

export const repoRoutes = new Hono<RegistryBindings>();

repoRoutes.post("/", requireAdmin, jsonBody(registerSchema), async (c) => {
  const input = c.req.valid("json");
  const address = parseRepoUrl(input.url);
  checkOutboundUrl(address.cloneUrl, outboundPolicy(c.env), "url");
  const pipelines = pipelinesOrThrow(c.var.registry, input.pipelines ?? {});
  const stub = remote<RepoObject>(c.env.REPO, address.key);
  const { repo, created } = await stub.register(address, pipelines, "api");
  if (!created && JSON.stringify(repo.pipelines) !== JSON.stringify(pipelines))
    throw conflict(
      `repo ${repo.url} is already registered as ${repo.id} with other pipelines; PATCH /api/repos/${repo.id} to change them`,
      "repo_exists",
    );
  return c.json({ repo: repoView(repo), created }, created ? 201 : 200);
});

repoRoutes.get("/", queryOf(listQuery), async (c) => {
  const q = c.req.valid("query");
  const filters = [
    q.host ? eq(repos.host, q.host.toLowerCase()) : undefined,
    q.cursor ? lt(repos.id, q.cursor) : undefined,
    // instr, not LIKE: the text is matched literally, `%` and `_` included.
    q.q ? sql`instr(lower(${repos.url}), ${q.q.toLowerCase()}) > 0` : undefined,
    q.error === "true" ? isNotNull(repos.error) : q.error === "false" ? isNull(repos.error) : undefined,
  ];
  const rows = await drizzle(c.env.DB)
    .select()
    .from(repos)
    .where(and(...filters))
    .orderBy(desc(repos.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return c.json({
    repos: page.map(({ key, version, errorAt, error, ...r }) => ({
      ...r,
      error: error ? { message: error, at: errorAt } : null,
    })),
    next: rows.length > q.limit ? page[page.length - 1]!.id : null,
  });
});

repoRoutes.get("/:id", async (c) => {
  const repo = await (await repoStub(c.env, c.req.param("id"))).view();
  if (!repo) throw notFound(`no repo ${c.req.param("id")}`);
  return c.json({ repo: repoView(repo) });
});

repoRoutes.patch("/:id", requireAdmin, jsonBody(patchSchema), async (c) => {
  const pipelines = pipelinesOrThrow(c.var.registry, c.req.valid("json").pipelines);
  const repo = await (await repoStub(c.env, c.req.param("id"))).configure(pipelines);
  if (!repo) throw notFound(`no repo ${c.req.param("id")}`);
  return c.json({ repo: repoView(repo) });
});

repoRoutes.delete("/:id/error", requireAdmin, async (c) => {
  const repo = await (await repoStub(c.env, c.req.param("id"))).clearError();
  if (!repo) throw notFound(`no repo ${c.req.param("id")}`);
  return c.json({ repo: repoView(repo) });
});

repoRoutes.get("/:id/events", queryOf(eventsQuery), async (c) => {
  const q = c.req.valid("query");
  const page = await (await repoStub(c.env, c.req.param("id"))).events(q.after ?? null, q.limit);
  return c.json(page);
});

repoRoutes.get("/:id/events/watch", queryOf(eventsQuery), async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket")
    throw badRequest("this endpoint is a WebSocket: send Upgrade: websocket", "upgrade_required");
  const stub = await repoStub(c.env, c.req.param("id"));
  return stub.fetch(c.req.raw);
});
