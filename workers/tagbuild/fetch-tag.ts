// Fetching one tag object over smart HTTP, as little as possible: the tag ref is listed, then the tag is
// fetched alone (depth 1, `tree:0` when the server allows filters, so only the tag and its commit come),
// its size bounded before it is inflated, and its id confirmed by hashing it.

import { listRefs, fetchPack, readPack, hashObject, GitError, type GitAuth } from "../git";

const refused = (reason: string, message: string) => new GitError("strong", reason, message);

export interface FetchedTag {
  /** The confirmed tag object id. */
  id: string;
  /** The raw tag object, exactly as `git cat-file tag` prints it. */
  bytes: Uint8Array;
}

export type TagLookup = { found: true; id: string; peeled: string | null; filter: boolean } | { found: false };

/** Finds `refs/tags/<name>` on the remote, and whether its upload-pack allows object filters. */
export async function lookUpTag(cloneUrl: string, name: string, auth?: GitAuth): Promise<TagLookup> {
  const ref = `refs/tags/${name}`;
  const listing = await listRefs(cloneUrl, { auth, prefixes: [ref], signal: AbortSignal.timeout(30_000) });
  const found = listing.refs.find((r) => r.name === ref);
  if (!found) return { found: false };
  const filter = listing.capabilities.some(
    (c) => c === "filter" || (c.startsWith("fetch=") && c.slice(6).split(" ").includes("filter")),
  );
  return { found: true, id: found.oid, peeled: found.peeled ?? null, filter };
}

/**
 * Fetches the tag object `id`. Refuses (a strong GitError, reason `too_large`) a pack or an object larger
 * than `maxBytes` without reading it all; refuses an object that is not a tag or does not hash to `id`.
 */
export async function fetchTagObject(
  cloneUrl: string,
  id: string,
  opts: { auth?: GitAuth; filter: boolean; maxBytes: number },
): Promise<FetchedTag> {
  const pack = await fetchPack(cloneUrl, {
    wants: [id],
    depth: 1,
    ...(opts.filter ? { filter: "tree:0" } : {}),
    auth: opts.auth,
    signal: AbortSignal.timeout(60_000),
  });
  // Tag and commit, each at most maxBytes, compress to less than that; pack framing is small.
  const limited = pack.pipeThrough(byteLimit(2 * opts.maxBytes + 64 * 1024));
  const reader = readPack(limited, { maxObjectBytes: opts.maxBytes, cacheBytes: 2 * opts.maxBytes });
  let tag: Uint8Array | null = null;
  let seenOther: string | null = null;
  for await (const object of reader.objects()) {
    if (object.oid === id) {
      if (object.type !== "tag") seenOther = object.type;
      else tag = object.data;
    }
  }
  if (seenOther)
    throw refused("not_a_tag", `${id} is a ${seenOther}, not an annotated tag object (a lightweight tag?)`);
  if (!tag) throw refused("id_mismatch", `the remote sent no object with id ${id}`);
  const hashed = await hashObject("tag", tag);
  if (hashed !== id) throw refused("id_mismatch", `tag object hashes to ${hashed}, not the pushed ${id}`);
  return { id, bytes: tag };
}

/** Passes at most `max` bytes, then errors the stream (the upstream fetch is cancelled with it). */
function byteLimit(max: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) {
        controller.error(refused("too_large", `the tag's pack is over ${max} bytes; refused without reading the rest`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}
