// /api/jobs: list job summaries from D1; read one job whole (transitions, log) from its JobObject; retry, cancel.

import { Hono } from "hono";
import { z } from "zod";
import { drizzle } from "drizzle-orm/d1";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Env } from "../env";
import { jobs } from "../../schema";
import { notFound, unwrap } from "../core/errors";
import { requireAdmin } from "../core/auth";
import { optionalId, optionalJsonBody, queryOf, wholeNumber } from "../core/validate";
import { isUlid } from "../core/ids";
import { remote } from "../core/remote";
import type { JobObject } from "../../durable-objects/job";

const listQuery = z.object({
  kind: z.string().max(64).optional(),
  status: z.string().max(64).optional(),
  repo: optionalId(isUlid, "must be a repo id"),
  cursor: optionalId(isUlid, "must be a job id"),
  limit: wholeNumber(1, 500, 50),
});
const cancelBody = z.strictObject({ reason: z.string().min(1).max(500).optional() });

/** The JobObject of a job listed in D1; unknown ids are 404 without creating an object. */
async function jobStub(env: Env, id: string) {
  if (!isUlid(id)) throw notFound(`no job ${id}`);
  const row = (await drizzle(env.DB).select({ id: jobs.id }).from(jobs).where(eq(jobs.id, id)).limit(1))[0];
  if (!row) throw notFound(`no job ${id}`);
  return remote<JobObject>(env.JOB, id);
}

export const jobRoutes = new Hono<{ Bindings: Env }>();

jobRoutes.get("/", queryOf(listQuery), async (c) => {
  const q = c.req.valid("query");
  const filters = [
    q.kind ? eq(jobs.kind, q.kind) : undefined,
    q.status ? eq(jobs.status, q.status) : undefined,
    q.repo ? eq(jobs.repoId, q.repo) : undefined,
    q.cursor ? lt(jobs.id, q.cursor) : undefined,
  ];
  const rows = await drizzle(c.env.DB)
    .select()
    .from(jobs)
    .where(and(...filters))
    .orderBy(desc(jobs.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit).map(({ version, ...summary }) => summary);
  return c.json({ jobs: page, next: rows.length > q.limit ? page[page.length - 1]!.id : null });
});

jobRoutes.get("/:id", async (c) => {
  const view = await (await jobStub(c.env, c.req.param("id"))).view();
  if (!view) throw notFound(`no job ${c.req.param("id")}`);
  const { lease, dispatch, version, state, ...job } = view;
  return c.json({ job: { ...job, status: state } });
});

jobRoutes.post("/:id/retry", requireAdmin, async (c) => {
  const job = unwrap(await (await jobStub(c.env, c.req.param("id"))).retry("retried by an admin", true));
  return c.json({ job: { id: job.id, kind: job.kind, status: job.state, phase: job.phase } });
});

// The body is optional: `{ "reason": "…" }`.
jobRoutes.post("/:id/cancel", requireAdmin, optionalJsonBody(cancelBody), async (c) => {
  const reason = c.req.valid("json").reason ?? "cancelled by an admin";
  const job = unwrap(await (await jobStub(c.env, c.req.param("id"))).cancel(reason));
  return c.json({ job: { id: job.id, kind: job.kind, status: job.state, phase: job.phase, error: job.error } });
});
