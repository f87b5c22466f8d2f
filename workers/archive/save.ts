// "Save code now", Software Heritage–compatible: POST /api/1/origin/save/git/url/<url>/ (admin) starts a visit
// of the origin now; GET on the same path lists the origin's visit requests with their task and visit status.

import { Hono } from "hono";
import { drizzle } from "drizzle-orm/d1";
import { and, desc, eq } from "drizzle-orm";
import type { Env } from "../env";
import { archiveVisits, jobs } from "../../schema";
import { AppError, badRequest } from "../core/errors";
import { errorResponse } from "./api/http";
import { requireAdmin } from "../core/auth";
import { remote } from "../core/remote";
import { parseRepoUrl, type RepoAddress } from "../core/repo-url";
import { checkOutboundUrl, outboundPolicy } from "../core/outbound";
import type { RepoObject } from "../../durable-objects/repo";
import { originId } from "./hashes";
import { plannedVisit } from "./plan";

const PREFIX = "/origin/save/git/url/";
const LIST_MAX = 100;

/** The origin named by the rest of the path (raw, or percent-encoded as a whole), checked as a fetchable URL. */
export function originOfPath(pathname: string, env: { ALLOW_LOOPBACK?: string }): RepoAddress {
  const at = pathname.indexOf(PREFIX);
  let raw = at < 0 ? "" : pathname.slice(at + PREFIX.length);
  if (/^[a-z][a-z0-9+.-]*%3A/i.test(raw)) {
    try {
      raw = decodeURIComponent(raw);
    } catch {
      throw badRequest("the origin URL in the path is not valid percent-encoding", "invalid_url");
    }
  }
  raw = raw.replace(/\/+$/, "");
  if (!raw)
    throw badRequest(
      `give the origin URL after ${PREFIX}, e.g. ${PREFIX}https://example.org/owner/repo/`,
      "invalid_url",
    );
  if (!/^https?:\/\//i.test(raw))
    throw badRequest(`save code now takes an http(s) git URL, not ${JSON.stringify(raw.slice(0, 200))}`, "invalid_url");
  const address = parseRepoUrl(raw);
  checkOutboundUrl(address.cloneUrl, outboundPolicy(env), "origin URL");
  return address;
}

type TaskStatus = "not yet scheduled" | "pending" | "scheduled" | "running" | "succeeded" | "failed";

function taskStatus(phase: string | null, status: string | null): TaskStatus {
  switch (phase) {
    case "held":
      return "pending";
    case "queued":
    case "waiting":
      return "scheduled";
    case "running":
      return "running";
    case "settled":
      return status === "full" || status === "not_found" ? "succeeded" : "failed";
    default:
      return "not yet scheduled";
  }
}

interface RequestRow {
  job: string;
  createdAt: number;
  phase: string | null;
  status: string | null;
  error: string | null;
  visit: number | null;
  visitDate: number | null;
  visitStatus: string | null;
  snapshot: string | null;
}

function saveRequestView(origin: string, r: RequestRow, base: string) {
  return {
    id: r.job,
    job: r.job,
    origin_url: origin,
    visit_type: "git",
    save_request_date: new Date(r.createdAt).toISOString(),
    save_request_status: "accepted",
    save_task_status: taskStatus(r.phase, r.status),
    visit_number: r.visit,
    visit_date: r.visitDate === null ? null : new Date(r.visitDate).toISOString(),
    visit_status: r.visitStatus,
    snapshot_swhid: r.snapshot ? `swh:1:snp:${r.snapshot}` : null,
    note: r.error,
    request_url: `${base}/api/1/origin/save/git/url/${origin}/`,
    job_url: `${base}/api/jobs/${r.job}`,
  };
}

export const saveRoutes = new Hono<{ Bindings: Env }>();

// Errors in the read API's shape (SWH's `{ exception, reason }` plus Forgeline's `{ error }`).
saveRoutes.onError((err, c) => {
  if (err instanceof AppError) return errorResponse(c, err);
  throw err;
});

saveRoutes.post(`${PREFIX}*`, requireAdmin, async (c) => {
  const address = originOfPath(new URL(c.req.url).pathname, c.env);
  const [ref] = await remote<RepoObject>(c.env.REPO, address.key).submit(address, [
    plannedVisit(address.url, address.cloneUrl, "save"),
  ]);
  const base = new URL(c.req.url).origin;
  const row: RequestRow = {
    job: ref!.id,
    createdAt: Date.now(),
    phase: "held",
    status: "created",
    error: null,
    visit: null,
    visitDate: null,
    visitStatus: null,
    snapshot: null,
  };
  return c.json({ ...saveRequestView(address.url, row, base), coalesced: ref!.coalesced === true });
});

saveRoutes.get(`${PREFIX}*`, async (c) => {
  const address = originOfPath(new URL(c.req.url).pathname, c.env);
  const v = archiveVisits;
  const rows = await drizzle(c.env.DB)
    .select({
      job: jobs.id,
      createdAt: jobs.createdAt,
      phase: jobs.phase,
      status: jobs.status,
      error: jobs.error,
      visit: v.visit,
      visitDate: v.date,
      visitStatus: v.status,
      snapshot: v.snapshot,
    })
    .from(jobs)
    .leftJoin(v, and(eq(v.originId, originId(address.url)), eq(v.jobId, jobs.id)))
    .where(and(eq(jobs.kind, "archive"), eq(jobs.repoUrl, address.url)))
    .orderBy(desc(jobs.id))
    .limit(LIST_MAX);
  const base = new URL(c.req.url).origin;
  return c.json(rows.map((r) => saveRequestView(address.url, r, base)));
});
