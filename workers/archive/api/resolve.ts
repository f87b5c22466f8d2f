// /api/1/resolve/<swhid>/: what a SWHID names, with its qualifiers, if the archive holds it.

import { Hono } from "hono";
import type { Env } from "../../env";
import { getContent, getOriginById, getRelease, getRevision, getDirectoryRaw, snapshotExists } from "../lookup";
import { OBJECT_TYPES } from "../model";
import { formatCore, formatSwhid, parseSwhid, type Swhid } from "../swhid";
import { missing, rawPath } from "./http";
import { Urls, decodeWithEscape } from "./views";

export const resolveRoutes = new Hono<{ Bindings: Env }>();

/** The SWHID in the path: as is, or percent-encoded as a whole (`swh%3A1%3A…`, `%3B` between qualifiers). */
export function swhidOfPath(rest: string): string {
  const text = rest.replace(/\/+$/, "");
  if (!text.includes(";") && /%3[ABab]/.test(text)) {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Whether the object a SWHID names is archived; for an origin, its URL. */
async function lookup(env: Env, swhid: Swhid, urls: Urls): Promise<string | null> {
  switch (swhid.type) {
    case "cnt":
      return (await getContent(env, "sha1_git", swhid.id)) ? urls.content(swhid.id) : null;
    case "dir":
      return (await getDirectoryRaw(env, swhid.id)) ? urls.directory(swhid.id) : null;
    case "rev":
      return (await getRevision(env, swhid.id)) ? urls.revision(swhid.id) : null;
    case "rel":
      return (await getRelease(env, swhid.id)) ? urls.release(swhid.id) : null;
    case "snp":
      return (await snapshotExists(env, swhid.id)) ? urls.snapshot(swhid.id) : null;
    case "ori": {
      const origin = await getOriginById(env, swhid.id);
      return origin ? urls.origin(origin.url) : null;
    }
  }
}

resolveRoutes.get("/resolve/*", async (c) => {
  const path = rawPath(c);
  const text = swhidOfPath(path.slice(path.indexOf("/resolve/") + "/resolve/".length));
  const swhid = parseSwhid(text); // a SwhidError becomes a 400 in the API's error handler
  const urls = Urls.of(c.req.url);
  const apiUrl = await lookup(c.env, swhid, urls);
  if (!apiUrl) throw missing(`Object ${formatCore(swhid)} not found.`);
  const q = swhid.qualifiers;
  return c.json({
    namespace: "swh",
    scheme_version: 1,
    object_type: OBJECT_TYPES[swhid.type],
    object_id: swhid.id,
    swhid: formatSwhid(swhid),
    qualifiers: {
      origin: q.origin,
      visit: q.visit ? formatCore(q.visit) : undefined,
      anchor: q.anchor ? formatCore(q.anchor) : undefined,
      path: q.path ? decodeWithEscape(q.path) : undefined,
      lines: q.lines ? (q.lines.end !== undefined ? `${q.lines.start}-${q.lines.end}` : `${q.lines.start}`) : undefined,
    },
    metadata: {},
    browse_url: apiUrl,
    api_url: apiUrl,
  });
});
