// /api/1/origin/<url>/…: an origin and its visits. The origin URL sits in the path as is (slashes and all,
// like SWH), or percent-encoded as a whole.

import { Hono, type Context } from "hono";
import type { Env } from "../../env";
import { z } from "zod";
import { badRequest } from "../../core/errors";
import { queryIn, wholeNumber } from "../../core/validate";
import { parseRepoUrl } from "../../core/repo-url";
import type { Origin } from "../model";
import type { ArchiveEnv } from "../store";
import { getOrigin, getVisit, latestVisit, listVisits } from "../lookup";
import { linkNext, missing, rawPath, withQuery } from "./http";
import { Urls, visitView } from "./views";

type Action = { kind: "get" } | { kind: "visits" } | { kind: "latest" } | { kind: "visit"; n: number };

const ACTIONS: [RegExp, (m: RegExpExecArray) => Action][] = [
  [/^(.+)\/get\/?$/, () => ({ kind: "get" })],
  [/^(.+)\/visits\/?$/, () => ({ kind: "visits" })],
  [/^(.+)\/visit\/latest\/?$/, () => ({ kind: "latest" })],
  [/^(.+)\/visit\/(\d{1,9})\/?$/, (m) => ({ kind: "visit", n: Number(m[2]) })],
];

/** The origin URL and what is asked of it, from the path after `/origin/`. */
export function parseOriginPath(rest: string): { url: string; action: Action } | null {
  for (const [pattern, action] of ACTIONS) {
    const m = pattern.exec(rest);
    if (!m) continue;
    let url = m[1]!;
    if (/^[a-z][a-z0-9+.-]*%3A/i.test(url)) {
      try {
        url = decodeURIComponent(url);
      } catch {
        throw badRequest("the origin URL in the path is not valid percent-encoding", "invalid_url");
      }
    }
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(url))
      throw badRequest(`"${url.slice(0, 200)}" is not an origin URL`, "invalid_url");
    return { url, action: action(m) };
  }
  return null;
}

// One route serves every action under /origin/*, so each action checks its own query (queryIn).
const visitsQuery = z.object({ per_page: wholeNumber(1, 1000, 10), last_visit: wholeNumber(1, 999_999_999) });
const latestQuery = z.object({
  require_snapshot: z
    .enum(["", "true", "false", "1", "0"], { message: "must be true or false" })
    .optional()
    .transform((v) => v === "true" || v === "1"),
});

export const originRoutes = new Hono<{ Bindings: Env }>();

originRoutes.get("/origin/*", async (c) => {
  const path = rawPath(c);
  const rest = path.slice(path.indexOf("/origin/") + "/origin/".length);
  const parsed = parseOriginPath(rest);
  if (!parsed)
    throw missing(`no route for GET ${path}: use /origin/<url>/get/, /visits/, /visit/latest/ or /visit/<n>/`);
  const urls = Urls.of(c.req.url);
  const origin = await findOrigin(c.env, parsed.url);
  if (!origin) throw missing(`Origin with url ${parsed.url} not found!`);
  const { url } = origin;
  const { action } = parsed;
  switch (action.kind) {
    case "get":
      return c.json({ url: origin.url, id: origin.id, origin_visits_url: urls.visits(origin.url) });
    case "visits":
      return visits(c, url, urls);
    case "latest": {
      const requireSnapshot = queryIn(c, latestQuery).require_snapshot;
      const visit = await latestVisit(c.env, url, { requireSnapshot });
      if (!visit) throw missing(`No visit${requireSnapshot ? " with a snapshot" : ""} for origin ${url} found!`);
      return c.json(visitView(visit, urls));
    }
    case "visit": {
      const visit = await getVisit(c.env, url, action.n);
      if (!visit) throw missing(`Origin ${url} or its visit with id ${action.n} not found!`);
      return c.json(visitView(visit, urls));
    }
  }
});

/** The origin as given, else under its canonical name (`https://host/owner/repo`, as repos are archived). */
async function findOrigin(env: ArchiveEnv, url: string): Promise<Origin | null> {
  const exact = await getOrigin(env, url);
  if (exact) return exact;
  let canonical: string;
  try {
    canonical = parseRepoUrl(url).url;
  } catch {
    return null;
  }
  return canonical === url ? null : getOrigin(env, canonical);
}

/** Newest first, `per_page` at a time, `last_visit` to continue below a visit number (SWH's paging). */
async function visits(c: Context<{ Bindings: Env }>, url: string, urls: Urls) {
  const { per_page: perPage, last_visit: lastVisit } = queryIn(c, visitsQuery);
  const page = await listVisits(c.env, url, { before: lastVisit, limit: perPage + 1 });
  const shown = page.slice(0, perPage);
  if (page.length > perPage)
    linkNext(c, withQuery(urls.visits(url), { last_visit: shown[shown.length - 1]!.visit, per_page: perPage }));
  return c.json(shown.map((v) => visitView(v, urls)));
}
