// Tag-build status pages and the builder endpoints: /api/tagbuild/jobs[/:id], /api/builders (list,
// allow-testing, restart) and /api/builders/connect (the builders' WebSocket). Pages answer HTML to
// browsers and JSON to anyone who asks for it with Accept: application/json.

import { Hono } from "hono";
import { z } from "zod";
import type { Env } from "../env";
import { badRequest, notFound } from "../core/errors";
import { requireAdmin, requireBearer } from "../core/auth";
import { isUlid } from "../core/ids";
import { optionalId, optionalJsonBody, queryOf, wholeNumber } from "../core/validate";
import { remote } from "../core/remote";
import type { JobObject } from "../../durable-objects/job";
import { isBuilderId } from "../core/builder-protocol";
import { buildersHub } from "./job";
import { tagbuildSettings } from "./settings";
import { tagbuildKind } from "./kind";
import { page, table, wantsHtml, type Cell } from "./pages";

const listQuery = z.object({
  status: z.enum(tagbuildKind.states as unknown as [string, ...string[]]).optional(),
  repo: z.string().max(2048).optional(),
  cursor: optionalId(isUlid, "must be a job id"),
  limit: wholeNumber(1, 500, 50),
});

interface ListedJob {
  id: string;
  status: string;
  phase: string | null;
  repoUrl: string;
  tagName: string;
  objectId: string | null;
  source: string | null;
  version: string | null;
  duplicateOf: string | null;
  builder: string | null;
  reason: string | null;
  retryEarliest: number | null;
  createdAt: number;
  updatedAt: number;
  buildingAt: number | null;
  finishedAt: number | null;
}

// The job's state and times are its JobObject's (through its D1 summary, `jobs`); before the first summary
// lands, the kind's initial state.
const LIST_COLUMNS = `t.id, COALESCE(j.status, '${tagbuildKind.initial}') AS status, j.phase AS phase, t.repo_url AS repoUrl,
  t.tag_name AS tagName, t.object_id AS objectId, t.source, t.version, t.duplicate_of AS duplicateOf, t.builder,
  COALESCE(t.reason, j.error) AS reason, t.retry_earliest AS retryEarliest, t.created_at AS createdAt,
  MAX(t.updated_at, COALESCE(j.updated_at, 0)) AS updatedAt, t.building_at AS buildingAt, j.finished_at AS finishedAt`;

export const tagbuildRoutes = new Hono<{ Bindings: Env }>();

tagbuildRoutes.get("/jobs", queryOf(listQuery), async (c) => {
  const q = c.req.valid("query");
  const where: string[] = [];
  const binds: unknown[] = [];
  if (q.status) {
    where.push(`COALESCE(j.status, '${tagbuildKind.initial}') = ?`);
    binds.push(q.status);
  }
  if (q.repo) {
    where.push(isUlid(q.repo) ? "t.repo_id = ?" : "t.repo_url = ?");
    binds.push(q.repo.replace(/\/+$/, ""));
  }
  if (q.cursor) {
    where.push("t.id < ?");
    binds.push(q.cursor);
  }
  const rows = await c.env.DB.prepare(
    `SELECT ${LIST_COLUMNS} FROM tagbuild_jobs t LEFT JOIN jobs j ON j.id = t.id
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY t.id DESC LIMIT ?`,
  )
    .bind(...binds, q.limit + 1)
    .all<ListedJob>();
  const jobs = rows.results.slice(0, q.limit);
  const next = rows.results.length > q.limit ? jobs[jobs.length - 1]!.id : null;
  if (!wantsHtml(c)) return c.json({ jobs, next });
  const cells = jobs.map((j): Cell[] => [
    { text: j.id, href: `/api/tagbuild/jobs/${j.id}` },
    j.status,
    j.source && j.version ? `${j.source} ${j.version}` : j.tagName,
    j.repoUrl,
    j.builder ?? "",
    j.duplicateOf ? { text: j.duplicateOf, href: `/api/tagbuild/jobs/${j.duplicateOf}` } : "",
    j.reason ?? "",
    new Date(j.createdAt).toISOString(),
  ]);
  return c.html(
    page(
      "Tag builds",
      table(["job", "status", "package", "repo", "builder", "duplicate of", "reason", "noticed"], cells),
    ),
  );
});

tagbuildRoutes.get("/jobs/:id", async (c) => {
  const id = c.req.param("id");
  if (!isUlid(id)) throw notFound(`no tag-build job ${id}`);
  const row = await c.env.DB.prepare(`SELECT t.* FROM tagbuild_jobs t WHERE t.id = ?`)
    .bind(id)
    .first<Record<string, unknown>>();
  if (!row) throw notFound(`no tag-build job ${id}`);
  // The job's state, error and times are its JobObject's.
  const view = await remote<JobObject>(c.env.JOB, id).view();
  // While the build runs its messages live with the builders hub; the row gets them when the job ends.
  const live = view?.phase === "settled" ? null : await buildersHub(c.env).status(id);
  const job = {
    id,
    status: view?.state ?? tagbuildKind.initial,
    phase: view?.phase ?? null,
    duplicateOf: row.duplicate_of ?? null,
    reason: row.reason ?? view?.error ?? null,
    tag: {
      name: row.tag_name,
      pushedId: row.pushed_id,
      objectId: row.object_id,
      commit: row.commit_id,
      tagger: row.tagger,
      taggerAt: row.tagger_at,
      distro: row.distro,
      source: row.source,
      version: row.version,
      upstreamTag: row.upstream_tag,
      upstream: row.upstream,
    },
    repo: { id: row.repo_id, url: row.repo_url },
    builder: row.builder ?? null,
    messages: live?.messages ?? JSON.parse(String(row.messages ?? "[]")),
    retryEarliest: row.retry_earliest ?? null,
    createdAt: row.created_at,
    updatedAt: Math.max(Number(row.updated_at), view?.updatedAt ?? 0),
    buildingAt: row.building_at ?? null,
    finishedAt: view?.finishedAt ?? null,
    transitions: view?.transitions ?? [],
  };
  if (!wantsHtml(c)) return c.json({ job });
  const facts: Cell[][] = [
    ["status", job.status as string],
    ["tag", String(job.tag.name)],
    ["tag object", String(job.tag.objectId ?? "")],
    ["package", job.tag.source ? `${job.tag.source} ${job.tag.version}` : ""],
    ["repo", String(job.repo.url)],
    ["builder", String(job.builder ?? "")],
    [
      "duplicate of",
      job.duplicateOf ? { text: String(job.duplicateOf), href: `/api/tagbuild/jobs/${job.duplicateOf}` } : "",
    ],
    ["reason", String(job.reason ?? "")],
  ];
  const transitions = job.transitions.map((t): Cell[] => [new Date(t.at).toISOString(), t.from ?? "", t.to, t.reason]);
  const messages = (job.messages as { at: number; text: string }[]).map((m): Cell[] => [
    new Date(m.at).toISOString(),
    m.text,
  ]);
  return c.html(
    page(
      `Tag build ${id}`,
      table(["", ""], facts) +
        "<h2>Transitions</h2>" +
        table(["at", "from", "to", "reason"], transitions) +
        "<h2>Builder messages</h2>" +
        table(["at", "message"], messages),
    ),
  );
});

export const builderRoutes = new Hono<{ Bindings: Env }>();

const requireBuilder = requireBearer<{ Bindings: Env }>(
  (env) => tagbuildSettings(env).builderTokens,
  "bad_builder_token",
  (env) =>
    tagbuildSettings(env).builderTokens.length
      ? "a builder needs Authorization: Bearer <builder token>"
      : "no BUILDER_TOKENS are configured",
);

builderRoutes.get("/connect", requireBuilder, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket")
    throw badRequest("this endpoint is a WebSocket: send Upgrade: websocket", "upgrade_required");
  return c.env.BUILDERS.get(c.env.BUILDERS.idFromName("builders")).fetch(c.req.raw);
});

builderRoutes.get("/", async (c) => {
  const { builders, queued } = await buildersHub(c.env).builders();
  if (!wantsHtml(c)) return c.json({ builders, queued });
  const cells = builders.map((b): Cell[] => [
    b.id,
    b.mode ?? "",
    b.state,
    b.job ? { text: b.job, href: `/api/tagbuild/jobs/${b.job}` } : "",
    b.allowTesting ? "yes" : "no",
    b.lastSeenAt ? new Date(b.lastSeenAt).toISOString() : "",
  ]);
  return c.html(
    page(
      "Builders",
      `<p>${queued} build(s) waiting for a builder.</p>` +
        table(["builder", "mode", "state", "job", "testing allowed", "last seen"], cells),
    ),
  );
});

/** `{ "allow": false }` withdraws the permission; no body (or `{}`) grants it. */
const allowBody = z.strictObject({ allow: z.boolean().default(true) });

builderRoutes.post("/:id/allow-testing", requireAdmin, optionalJsonBody(allowBody), async (c) => {
  const id = c.req.param("id");
  if (!isBuilderId(id)) throw notFound(`no builder ${id}`);
  const { allow } = c.req.valid("json");
  if (!(await buildersHub(c.env).allowTesting(id, allow))) throw notFound(`no builder ${id} has ever connected`);
  return c.json({ builder: id, allowTesting: allow });
});

builderRoutes.post("/:id/restart", requireAdmin, async (c) => {
  const id = c.req.param("id");
  if (!isBuilderId(id) || !(await buildersHub(c.env).restart(id))) throw notFound(`builder ${id} is not connected`);
  return c.json({ builder: id, restarted: true });
});
