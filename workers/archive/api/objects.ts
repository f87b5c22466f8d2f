// /api/1/{snapshot,revision,release,directory,content}/…: the archived objects, read by id.

import { Hono } from "hono";
import type { Env } from "../../env";
import { z } from "zod";
import { AppError, badRequest } from "../../core/errors";
import { queryIn, wholeNumber } from "../../core/validate";
import {
  branchesByName,
  getContent,
  getContents,
  getDirectoryRaw,
  getRelease,
  getRevision,
  openContent,
  ContentBytesMissingError,
  revisionLog,
  snapshotBranches,
  type ContentAlgo,
} from "../lookup";
import { parseDirectory } from "../manifest";
import type { Branch, DirectoryEntry } from "../model";
import type { ArchiveEnv } from "../store";
import { hexIdOf, linkNext, missing, rawPath, segmentBytes, withQuery } from "./http";
import { branchView, contentView, entryView, releaseView, revisionView, Urls } from "./views";

export const objectRoutes = new Hono<{ Bindings: Env }>();

/**
 * Archived objects are named by their content and never change: a found one may be cached for good. A miss is
 * not cached (the object may be archived later), nor is a log (it grows as older history gets archived).
 */
const IMMUTABLE = "public, max-age=31536000, immutable";
for (const prefix of ["/snapshot/*", "/revision/*", "/release/*", "/directory/*", "/content/*"])
  objectRoutes.use(prefix, async (c, next) => {
    await next();
    if (c.res.status === 200 && !/\/log\/?$/.test(new URL(c.req.url).pathname)) c.header("Cache-Control", IMMUTABLE);
  });

/** SWH's paths end with a slash; a client that leaves it off is answered the same. */
function withOrWithoutSlash(path: string): string[] {
  return [path, path.slice(0, -1)];
}

const BRANCH_TYPES = ["content", "directory", "revision", "release", "snapshot", "alias"];

// Each route answers with and without its trailing slash (a path pair), so it checks its query itself (queryIn).
const snapshotQuery = z.object({
  branches_count: wholeNumber(1, 10_000, 1000),
  branches_from: z.string().optional(),
  /** Comma-separated branch target types. */
  target_types: z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      for (const t of text ? text.split(",").map((t) => t.trim()) : [])
        if (!BRANCH_TYPES.includes(t))
          ctx.addIssue({ code: "custom", message: `"${t.slice(0, 40)}" is not one of ${BRANCH_TYPES.join(", ")}` });
    }),
});
const logQuery = z.object({ per_page: wholeNumber(1, 50, 10), offset: wholeNumber(0, 1_000_000, 0) });

objectRoutes.on("GET", withOrWithoutSlash("/snapshot/:id/"), async (c) => {
  const id = hexIdOf(c.req.param("id"), "snapshot");
  const q = queryIn(c, snapshotQuery);
  const count = q.branches_count;
  const from = q.branches_from || undefined;
  const typesText = q.target_types;
  const types = typesText ? typesText.split(",").map((t) => t.trim()) : undefined;
  const page = await snapshotBranches(c.env, id, { from, count, types });
  if (!page) throw missing(`Snapshot with id ${id} not found!`);
  const inPage = new Map(page.branches);
  const outside = page.branches.flatMap(([, b]) =>
    b?.targetType === "alias" && !inPage.has(b.target) ? [b.target] : [],
  );
  const extra = outside.length ? await branchesByName(c.env, id, outside) : new Map<string, Branch>();
  const resolve = (name: string) => (inPage.has(name) ? inPage.get(name) : extra.get(name));
  const urls = Urls.of(c.req.url);
  const branches: Record<string, ReturnType<typeof branchView>> = {};
  for (const [name, branch] of page.branches) branches[name] = branchView(branch, resolve, urls);
  if (page.nextBranch !== null) {
    const params: Record<string, string | number> = { branches_from: page.nextBranch, branches_count: count };
    if (typesText) params.target_types = typesText;
    linkNext(c, withQuery(urls.snapshot(id), params));
  }
  return c.json({ id, branches, next_branch: page.nextBranch });
});

objectRoutes.on("GET", withOrWithoutSlash("/revision/:id/"), async (c) => {
  const id = hexIdOf(c.req.param("id"), "revision");
  const revision = await getRevision(c.env, id);
  if (!revision) throw missing(`Revision with sha1_git ${id} not found.`);
  return c.json(revisionView(revision, Urls.of(c.req.url)));
});

/** The history from a revision, breadth-first like SWH's revision log; `per_page` (≤ 50) and `offset` page it. */
objectRoutes.on("GET", withOrWithoutSlash("/revision/:id/log/"), async (c) => {
  const id = hexIdOf(c.req.param("id"), "revision");
  const { per_page: perPage, offset } = queryIn(c, logQuery);
  const log = await revisionLog(c.env, id, { offset, limit: perPage + 1 });
  if (!log.length && !offset) throw missing(`Revision with sha1_git ${id} not found.`);
  const urls = Urls.of(c.req.url);
  if (log.length > perPage)
    linkNext(c, withQuery(urls.revisionLog(id), { per_page: perPage, offset: offset + perPage }));
  return c.json(log.slice(0, perPage).map((r) => revisionView(r, urls)));
});

objectRoutes.on("GET", withOrWithoutSlash("/release/:id/"), async (c) => {
  const id = hexIdOf(c.req.param("id"), "release");
  const release = await getRelease(c.env, id);
  if (!release) throw missing(`Release with sha1_git ${id} not found.`);
  return c.json(releaseView(release, Urls.of(c.req.url)));
});

async function directoryEntries(env: ArchiveEnv, id: string): Promise<DirectoryEntry[] | null> {
  const raw = await getDirectoryRaw(env, id);
  return raw ? parseDirectory(raw) : null;
}

/** Each path part is one lookup; no git tree nests this deep in practice. */
const MAX_PATH_DEPTH = 256;

/** A directory's listing, or with a path after the id, the entry at that path (its `name` the whole path). */
objectRoutes.get("/directory/*", async (c) => {
  const path = rawPath(c);
  const rest = path.slice(path.indexOf("/directory/") + "/directory/".length).replace(/\/+$/, "");
  const [first, ...segments] = rest.split("/");
  const id = hexIdOf(first, "directory");
  const urls = Urls.of(c.req.url);
  const found = await walk(c.env, id, segments);
  if (found.kind === "listing") return c.json(await listing(c.env, id, found.entries, urls));
  const content =
    found.entry.type === "file" ? (await getContents(c.env, [found.entry.target])).get(found.entry.target) : undefined;
  return c.json(entryView(found.dirId, found.entry, found.path, content, urls));
});

/** SWH's directory through a revision: `{ revision, path, type, content }`, content a listing or the file's data. */
objectRoutes.get("/revision/:id/directory/*", async (c) => {
  const id = hexIdOf(c.req.param("id"), "revision");
  const revision = await getRevision(c.env, id);
  if (!revision) throw missing(`Revision with sha1_git ${id} not found.`);
  const path = rawPath(c);
  const segments = path
    .slice(path.indexOf("/directory/") + "/directory/".length)
    .replace(/\/+$/, "")
    .split("/")
    .filter((s, i) => s || i);
  const urls = Urls.of(c.req.url);
  const found = await walk(c.env, revision.directory, segments.length === 1 && segments[0] === "" ? [] : segments);
  const shown = segments.length ? segments.join("/") : ".";
  if (found.kind === "listing")
    return c.json({
      revision: id,
      path: shown,
      type: "dir",
      content: await listing(c.env, found.dirId, found.entries, urls),
    });
  const e = found.entry;
  if (e.type === "dir")
    return c.json({
      revision: id,
      path: shown,
      type: "dir",
      content: await listing(c.env, e.target, (await directoryEntries(c.env, e.target)) ?? [], urls),
    });
  if (e.type === "rev") return c.json({ revision: id, path: shown, type: "rev", content: { id: e.target } });
  const content = (await getContents(c.env, [e.target])).get(e.target);
  if (!content) throw missing(`Content with sha1_git ${e.target} (at ${shown}) is not archived.`);
  return c.json({ revision: id, path: shown, type: "file", content: contentView(content, urls) });
});

async function listing(env: ArchiveEnv, id: string, entries: DirectoryEntry[], urls: Urls) {
  const contents = await getContents(
    env,
    entries.filter((e) => e.type === "file").map((e) => e.target),
  );
  return entries.map((e) => entryView(id, e, e.name, contents.get(e.target), urls));
}

type Walked =
  | { kind: "listing"; dirId: string; entries: DirectoryEntry[] }
  | { kind: "entry"; dirId: string; entry: DirectoryEntry; path: Uint8Array };

/** From a root directory down `segments` (percent-encoded names): the root's listing, or the entry at the path. */
async function walk(env: ArchiveEnv, rootId: string, segments: string[]): Promise<Walked> {
  let entries = await directoryEntries(env, rootId);
  if (!entries) throw missing(`Directory with sha1_git ${rootId} not found.`);
  if (!segments.length) return { kind: "listing", dirId: rootId, entries };
  if (segments.length > MAX_PATH_DEPTH)
    throw badRequest(`path is deeper than ${MAX_PATH_DEPTH} directories`, "invalid_path");
  if (segments.some((s) => s === "" || s === "." || s === ".."))
    throw badRequest(`path "${segments.join("/").slice(0, 200)}" has empty, . or .. parts`, "invalid_path");
  const names = segments.map(segmentBytes);
  let dirId = rootId;
  for (let i = 0; i < names.length; i++) {
    const entry = entries.find((e) => sameBytes(e.name, names[i]!));
    if (!entry) break;
    if (i === names.length - 1) return { kind: "entry", dirId, entry, path: joinPath(names) };
    if (entry.type !== "dir") break;
    const next = await directoryEntries(env, entry.target);
    if (!next)
      throw missing(
        `Directory with sha1_git ${entry.target} (at ${segments.slice(0, i + 1).join("/")}) is not archived.`,
      );
    entries = next;
    dirId = entry.target;
  }
  throw missing(`Directory entry with path ${segments.join("/")} from root directory ${rootId} not found`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function joinPath(names: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  names.forEach((n, i) => (i && out.push(0x2f), out.push(...n)));
  return new Uint8Array(out);
}

const HASH_LENGTH: Record<ContentAlgo, number> = { sha1: 40, sha1_git: 40, sha256: 64, blake2s256: 64 };

/** `[algo:]hash` as SWH takes it (sha1 by default). */
export function parseContentQuery(q: string): { algo: ContentAlgo; hash: string } {
  const colon = q.indexOf(":");
  const algo = (colon < 0 ? "sha1" : q.slice(0, colon)) as ContentAlgo;
  const hash = colon < 0 ? q : q.slice(colon + 1);
  if (!(algo in HASH_LENGTH))
    throw badRequest(
      `unknown checksum type "${algo.slice(0, 40)}": use sha1, sha1_git, sha256 or blake2s256`,
      "invalid_id",
    );
  if (!new RegExp(`^[0-9a-f]{${HASH_LENGTH[algo]}}$`).test(hash))
    throw badRequest(
      `invalid ${algo} checksum "${hash.slice(0, 80)}": expected ${HASH_LENGTH[algo]} lowercase hex digits`,
      "invalid_id",
    );
  return { algo, hash };
}

objectRoutes.on("GET", withOrWithoutSlash("/content/:q/"), async (c) => {
  const { algo, hash } = parseContentQuery(c.req.param("q") ?? "");
  const content = await getContent(c.env, algo, hash);
  if (!content) throw missing(`Content with ${algo} checksum equals to ${hash} not found!`);
  return c.json(contentView(content, Urls.of(c.req.url)));
});

objectRoutes.on("GET", withOrWithoutSlash("/content/:q/raw/"), async (c) => {
  const { algo, hash } = parseContentQuery(c.req.param("q") ?? "");
  const content = await getContent(c.env, algo, hash);
  if (!content) throw missing(`Content with ${algo} checksum equals to ${hash} not found!`);
  if (content.status !== "visible")
    throw missing(`Content ${content.sha1_git} is not available for download: ${content.reason ?? "skipped"}`);
  let body: ReadableStream<Uint8Array> | null;
  try {
    body = await openContent(c.env, content.sha1_git);
  } catch (err) {
    if (err instanceof ContentBytesMissingError) throw new AppError(500, "content_bytes_missing", err.message);
    throw err;
  }
  if (!body) throw missing(`Content ${content.sha1_git} bytes are not archived`);
  return new Response(body, {
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(content.length),
      "Content-Disposition": `attachment; filename=content_sha1_git_${content.sha1_git}_raw`,
    },
  });
});
