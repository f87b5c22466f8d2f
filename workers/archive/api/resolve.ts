// /api/1/resolve/<swhid>/: what a SWHID names, with its qualifiers, if the archive holds it.

import { Hono } from "hono";
import type { Env } from "../../env";
import { z } from "zod";
import { jsonBody } from "../../core/validate";
import { badRequest } from "../../core/errors";
import {
  getContent,
  getOriginById,
  getRelease,
  getRevision,
  getDirectoryRaw,
  knownOrigins,
  snapshotExists,
} from "../lookup";
import { knownObjects, type StoredKind } from "../store";
import { OBJECT_TYPES, type SwhidType } from "../model";
import { formatCore, formatSwhid, parseSwhid, SwhidError, type Swhid } from "../swhid";
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
  // SWH answers the qualifiers under `metadata`; `qualifiers` stays for clients of earlier Forgeline versions.
  const qualifiers = {
    origin: q.origin,
    visit: q.visit ? formatCore(q.visit) : undefined,
    anchor: q.anchor ? formatCore(q.anchor) : undefined,
    path: q.path ? decodeWithEscape(q.path) : undefined,
    lines: q.lines ? (q.lines.end !== undefined ? `${q.lines.start}-${q.lines.end}` : `${q.lines.start}`) : undefined,
  };
  return c.json({
    namespace: "swh",
    scheme_version: 1,
    object_type: OBJECT_TYPES[swhid.type],
    object_id: swhid.id,
    swhid: formatSwhid(swhid),
    qualifiers,
    metadata: qualifiers,
    browse_url: apiUrl,
    api_url: apiUrl,
  });
});

/** At most this many SWHIDs per /known/ request. */
const MAX_KNOWN = 1000;
const KIND_OF_TYPE: Record<Exclude<SwhidType, "ori">, StoredKind> = {
  cnt: "content",
  dir: "directory",
  rev: "revision",
  rel: "release",
  snp: "snapshot",
};

/** SWH's `POST /api/1/known/`: which of a list of SWHIDs the archive holds, `{ <swhid>: { known } }`. Batched. */
resolveRoutes.post(
  "/known/",
  jsonBody(z.array(z.string()).max(MAX_KNOWN, `at most ${MAX_KNOWN} SWHIDs per request`)),
  async (c) => {
    const asked = c.req.valid("json");
    const parsed = asked.map((text) => {
      try {
        return { text, swhid: parseSwhid(text) };
      } catch (err) {
        throw badRequest(`"${text.slice(0, 120)}": ${(err as SwhidError).message}`, "invalid_swhid");
      }
    });
    const known = new Set<string>();
    for (const [type, kind] of Object.entries(KIND_OF_TYPE)) {
      const ids = parsed.filter((p) => p.swhid.type === type).map((p) => p.swhid.id);
      if (ids.length) for (const id of await knownObjects(c.env, ids, [kind])) known.add(`${type}:${id}`);
    }
    const origins = parsed.filter((p) => p.swhid.type === "ori").map((p) => p.swhid.id);
    if (origins.length) for (const id of await knownOrigins(c.env, origins)) known.add(`ori:${id}`);
    return c.json(
      Object.fromEntries(parsed.map((p) => [p.text, { known: known.has(`${p.swhid.type}:${p.swhid.id}`) }])),
    );
  },
);
