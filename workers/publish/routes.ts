// The publish room's HTTP: the published sites under /u/ (from SITES), and the builds API under /api/publish.

import { Hono } from "hono";
import { z } from "zod";
import { drizzle } from "drizzle-orm/d1";
import { eq, or } from "drizzle-orm";
import type { Env } from "../env";
import { badRequest, notFound } from "../core/errors";
import { requireAdmin } from "../core/auth";
import { jsonBody, queryOf } from "../core/validate";
import { isUlid } from "../core/ids";
import { remote } from "../core/remote";
import { parseRepoUrl } from "../core/repo-url";
import { repos } from "../../schema/registry";
import type { JobObject } from "../../durable-objects/job";
import type { RepoObject } from "../../durable-objects/repo";
import { publishKind, PUBLISH } from "./kind";
import { planPublish } from "./trigger";
import { render404 } from "./page";
import { latestKey, repoPrefix, type RefPointer } from "./site";
import { listBuilds, readBuild, type BuildListing } from "./store";
import { callbackSecret } from "./settings";

// Pages may load their own stylesheet, script and search index, and OBS images from anywhere over https.
const CSP =
  "default-src 'none'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const IMMUTABLE = "public, max-age=31536000, immutable";
const SHORT = "public, max-age=60, must-revalidate";

export const siteRoutes = new Hono<{ Bindings: Env }>();

function missing(path: string): Response {
  return new Response(render404(path), {
    status: 404,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    },
  });
}

async function serve(bucket: R2Bucket, key: string, req: Request, cache: string, shownPath: string): Promise<Response> {
  const object = await bucket.get(key, { onlyIf: req.headers });
  if (!object) return missing(shownPath);
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("ETag", object.httpEtag);
  headers.set("Cache-Control", cache);
  headers.set("X-Content-Type-Options", "nosniff");
  if ((headers.get("Content-Type") ?? "").startsWith("text/html")) headers.set("Content-Security-Policy", CSP);
  // A conditional GET that matched: R2 answers without a body.
  if (!("body" in object)) return new Response(null, { status: 304, headers });
  return new Response(object.body, { headers });
}

async function pointer(bucket: R2Bucket, key: string): Promise<RefPointer | null> {
  const o = await bucket.get(key);
  return o ? ((await o.json()) as RefPointer) : null;
}

siteRoutes.get("/*", async (c) => {
  const url = new URL(c.req.url);
  const rest = decodeURIComponent(url.pathname.replace(/^\/u\/?/, ""));
  const parts = rest.split("/");
  if (parts.length < 2 || parts.some((p) => p === ".." || p === "." || p.startsWith(".")) || !parts[0] || !parts[1])
    return missing(url.pathname);
  const [owner, repo, first, ...tail] = parts as [string, string, string | undefined, ...string[]];
  const base = repoPrefix(owner, repo);
  if (first === undefined) return c.redirect(`${url.pathname}/`, 301);
  if (first === "") {
    // The repo's front page: the latest successful build of any ref.
    const latest = await pointer(c.env.SITES, latestKey(owner, repo));
    if (!latest) return missing(url.pathname);
    return new Response(null, {
      status: 302,
      headers: { Location: `${url.pathname}${latest.commit}/`, "Cache-Control": SHORT },
    });
  }
  if (first === "project.json" && !tail.length)
    return serve(c.env.SITES, `${base}project.json`, c.req.raw, SHORT, url.pathname);
  if (!tail.length) return c.redirect(`${url.pathname}/`, 301);
  const file = tail.join("/") || "index.html";
  if (/^[0-9a-f]{10}$/.test(first)) {
    // Under a commit path every file is immutable, except the build log a rebuild of the commit may rewrite.
    return serve(
      c.env.SITES,
      `${base}${first}/${file}`,
      c.req.raw,
      file === "build_log.json" ? SHORT : IMMUTABLE,
      url.pathname,
    );
  }
  // A branch or tag path: the latest successful build of that ref.
  const ref = await pointer(c.env.SITES, `${base}.refs/${encodeURIComponent(first)}`);
  if (!ref) return missing(url.pathname);
  return serve(c.env.SITES, `${base}${ref.commit}/${file}`, c.req.raw, SHORT, url.pathname);
});

export const publishApi = new Hono<{ Bindings: Env }>();

const listQuery = z.object({
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "repo must be owner/name")
    .optional(),
  status: z.enum(publishKind.states as unknown as [string, ...string[]]).optional(),
  cursor: z.string().refine(isUlid, "cursor must be a build id").optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function buildView(b: BuildListing) {
  const r = b.row;
  const site = r.sitePath;
  return {
    id: r.id,
    repo: `${r.owner}/${r.repo}`,
    repoId: r.repoId,
    ref: r.ref,
    commit: r.commitId,
    status: b.status,
    phase: b.phase,
    error: b.error,
    resourceType: r.resourceType,
    identifier: r.identifier,
    title: r.title,
    language: r.language,
    direction: r.direction,
    manifestSource: r.manifestSource,
    filesConverted: r.filesConverted,
    filesReused: r.filesReused,
    warnings: r.warnings,
    errors: r.errors,
    site,
    buildLog: r.commitId ? `/u/${r.owner}/${r.repo}/${r.commitId.slice(0, 10)}/build_log.json` : null,
    createdAt: r.createdAt,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
  };
}

publishApi.get("/builds", queryOf(listQuery), async (c) => {
  const q = c.req.valid("query");
  const rows = await listBuilds(c.env.DB, q);
  const next = rows.length === q.limit ? rows[rows.length - 1]!.row.id : null;
  return c.json({ builds: rows.map(buildView), next });
});

publishApi.get("/builds/:id", async (c) => {
  const id = c.req.param("id");
  if (!isUlid(id)) throw badRequest("a build id is a ULID", "invalid_id");
  const build = await readBuild(c.env.DB, id);
  if (!build) throw notFound(`no build ${id}`);
  const view = buildView(build);
  const job = await remote<JobObject>(c.env.JOB, id).view();
  let log: unknown = null;
  if (view.buildLog) {
    const key = view.buildLog.slice(1);
    const o = await c.env.SITES.get(key);
    log = o ? await o.json() : null;
  }
  const l = log as { log?: string[]; warnings?: string[]; errors?: string[] } | null;
  return c.json({
    build: view,
    log: l?.log ?? [],
    warnings: l?.warnings ?? [],
    errors: l?.errors ?? (job?.error ? [job.error] : []),
    job: job
      ? { status: job.state, phase: job.phase, transitions: job.transitions, log: job.log, error: job.error }
      : null,
  });
});

const rebuildBody = z.strictObject({
  /** A repo id or its URL. */
  repo: z.string().min(1).max(2000),
  /** A branch or tag name, or a full ref (`refs/heads/main`). */
  ref: z.string().min(1).max(250),
});

async function findRepo(db: D1Database, repo: string) {
  const key = isUlid(repo) ? null : parseRepoUrl(repo).key;
  const rows = await drizzle(db)
    .select()
    .from(repos)
    .where(key ? eq(repos.key, key) : or(eq(repos.id, repo)))
    .limit(1);
  return rows[0] ?? null;
}

/** Admin: build a ref now (the ref's current head), as a push would. */
publishApi.post("/builds", requireAdmin, jsonBody(rebuildBody), async (c) => {
  const body = c.req.valid("json");
  const row = await findRepo(c.env.DB, body.repo);
  if (!row) throw notFound(`no registered repo ${body.repo}`);
  const config = row.pipelines[PUBLISH] as Parameters<typeof planPublish>[1] | undefined;
  if (!config)
    throw badRequest(`repo ${row.url} does not have the publish pipeline (pipelines.publish)`, "pipeline_not_enabled");
  const ref = body.ref.startsWith("refs/") ? body.ref : `refs/heads/${body.ref}`;
  if (!/^refs\/(heads|tags)\/[^\s~^:?*[\\]+$/.test(ref) || ref.includes(".."))
    throw badRequest(`not a branch or tag name: ${body.ref}`, "invalid_ref");
  const address = parseRepoUrl(row.url);
  const planned = planPublish(
    { kind: ref.startsWith("refs/tags/") ? "tag_push" : "push", ref, after: null, before: null } as never,
    { ...config, branches: undefined, tags: true },
    { id: row.id, url: row.url, cloneUrl: row.cloneUrl, host: row.host },
    true,
  );
  const [job] = await remote<RepoObject>(c.env.REPO, address.key).submit(address, planned);
  return c.json({ build: { id: job!.id, coalesced: job!.coalesced ?? false, ref } }, 202);
});

/** Admin: the secret a repo's callbacks are signed with (X-Forgeline-Signature: sha256=<hex HMAC of the body>). */
publishApi.get("/repos/:id/callback-secret", requireAdmin, async (c) => {
  const row = await findRepo(c.env.DB, c.req.param("id"));
  if (!row) throw notFound(`no registered repo ${c.req.param("id")}`);
  return c.json({ repo: row.id, secret: await callbackSecret(c.env, row.id) });
});
