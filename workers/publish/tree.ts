// The tree at a commit, fetched with our git layer (depth 1, streamed into ARTIFACTS, never whole in memory) and
// read in passes: first the commit and its trees (paths, sizes, limits, path safety), then the blobs a step wants.

import { fetchPack, parseCommit, parseTree, readPack, r2Spill, storePack, GitError, type GitAuth } from "../git";
import { badEntryName, badSymlink } from "./tree-paths";
import { decodeSource } from "./source";

export interface TreeFile {
  path: string;
  oid: string;
  size: number;
}

export interface CommitFacts {
  id: string;
  message: string;
  author: string;
  committedAt: number;
}

export interface TreeListing {
  commit: CommitFacts;
  files: TreeFile[];
  /** Symlinks (path, blob oid) to check once their targets are read. */
  symlinks: { path: string; oid: string }[];
  warnings: string[];
  totalBytes: number;
}

/** A build input that can never convert (limits, unsafe paths): the build fails with it, without retries. */
export class TreeRefused extends Error {
  override name = "TreeRefused";
}

export interface TreeLimits {
  maxBytes: number;
  maxFiles: number;
}

/** ARTIFACTS key of a build's fetched pack; deleted when the build ends. */
export const packKey = (jobId: string) => `publish/packs/${jobId}.pack`;

/** Fetches the commit's whole tree (depth 1) and stores the pack in ARTIFACTS, streamed in parts. */
export async function fetchTree(
  bucket: R2Bucket,
  cloneUrl: string,
  commit: string,
  key: string,
  auth?: GitAuth,
): Promise<number> {
  const pack = await fetchPack(cloneUrl, { wants: [commit], depth: 1, auth, signal: AbortSignal.timeout(5 * 60_000) });
  return (await storePack(bucket, key, pack)).size;
}

async function* objects(bucket: R2Bucket, key: string, maxObjectBytes: number) {
  const stored = await bucket.get(key);
  if (!stored)
    throw new GitError("weak", "pack_missing", `the fetched pack ${key} is gone from ARTIFACTS; fetching again`);
  yield* readPack(stored.body, { spill: r2Spill(bucket, key), maxObjectBytes }).objects();
}

/** A single object over the limit is refused by readPack before it is inflated; said in the limit's words. */
async function* guardSize<T>(source: AsyncIterable<T>, maxBytes: number): AsyncIterable<T> {
  try {
    yield* source;
  } catch (err) {
    if (err instanceof GitError && err.reason === "too_large")
      throw new TreeRefused(`the tree is over PUBLISH_MAX_BYTES (${maxBytes} bytes unpacked): ${err.message}`);
    throw err;
  }
}

/** Pass 1: the commit, its trees, and every file's path, blob id and size; refuses what breaks the limits. */
export async function listTree(
  bucket: R2Bucket,
  key: string,
  commitId: string,
  limits: TreeLimits,
): Promise<TreeListing> {
  const trees = new Map<string, Uint8Array>();
  const sizes = new Map<string, number>();
  let commit: CommitFacts | null = null;
  let treeId = "";
  let packBytes = 0;
  for await (const o of guardSize(objects(bucket, key, Math.min(limits.maxBytes, 96 * 1024 * 1024)), limits.maxBytes)) {
    if (o.type === "tree") trees.set(o.oid, o.data);
    else if (o.type === "blob") {
      sizes.set(o.oid, o.data.byteLength);
      packBytes += o.data.byteLength;
      // Bounded while reading, not after: a tree far over the limit stops here.
      if (packBytes > limits.maxBytes)
        throw new TreeRefused(`the tree is over PUBLISH_MAX_BYTES (${limits.maxBytes} bytes unpacked)`);
    } else if (o.type === "commit" && o.oid === commitId) {
      const c = parseCommit(o.data);
      treeId = c.tree;
      commit = {
        id: o.oid,
        message: c.text,
        author: `${c.author.name} <${c.author.email}>`,
        committedAt: c.committer.time * 1000,
      };
    }
  }
  if (!commit) throw new GitError("strong", "no_commit", `the remote sent no commit ${commitId}`);
  const files: TreeFile[] = [];
  const symlinks: TreeListing["symlinks"] = [];
  const warnings: string[] = [];
  let totalBytes = 0;
  const walk = (oid: string, prefix: string) => {
    const data = trees.get(oid);
    if (!data) throw new GitError("strong", "missing_tree", `the pack lacks tree ${oid} (${prefix || "/"})`);
    for (const e of parseTree(data)) {
      const path = prefix + e.name;
      const bad = badEntryName(e.name);
      if (bad) throw new TreeRefused(`unsafe path in the tree: ${bad} under ${prefix || "/"}`);
      if (e.type === "tree") walk(e.oid, `${path}/`);
      else if (e.type === "commit") warnings.push(`${path}: a submodule; not published`);
      else if (e.mode === "120000") symlinks.push({ path, oid: e.oid });
      else {
        const size = sizes.get(e.oid);
        if (size === undefined) throw new GitError("strong", "missing_blob", `the pack lacks blob ${e.oid} (${path})`);
        files.push({ path, oid: e.oid, size });
        totalBytes += size;
        if (files.length > limits.maxFiles)
          throw new TreeRefused(`the tree has over PUBLISH_MAX_FILES (${limits.maxFiles}) files`);
      }
    }
  };
  walk(treeId, "");
  if (totalBytes > limits.maxBytes)
    throw new TreeRefused(`the tree is over PUBLISH_MAX_BYTES (${limits.maxBytes} bytes unpacked)`);
  return { commit, files, symlinks, warnings, totalBytes };
}

/**
 * Another pass: calls `use(oid, bytes)` for each blob in `wanted` as the pack yields it, one at a time, so memory
 * holds one blob plus what `use` keeps. Stops reading once every wanted blob was seen.
 */
export async function readBlobs(
  bucket: R2Bucket,
  key: string,
  wanted: Set<string>,
  maxObjectBytes: number,
  use: (oid: string, data: Uint8Array) => Promise<void> | void,
): Promise<void> {
  if (!wanted.size) return;
  const left = new Set(wanted);
  for await (const o of objects(bucket, key, maxObjectBytes)) {
    if (o.type !== "blob" || !left.has(o.oid)) continue;
    left.delete(o.oid);
    await use(o.oid, o.data);
    if (!left.size) break;
  }
}

/** Refuses symlinks that leave the tree; the others are left out of the site (with a warning). */
export async function checkSymlinks(bucket: R2Bucket, key: string, listing: TreeListing): Promise<string[]> {
  if (!listing.symlinks.length) return [];
  const targets = new Map<string, string>();
  await readBlobs(bucket, key, new Set(listing.symlinks.map((s) => s.oid)), 4096, (oid, data) => {
    const decoded = decodeSource("symlink", data);
    targets.set(oid, decoded.ok ? decoded.text : "/");
  });
  const warnings: string[] = [];
  for (const s of listing.symlinks) {
    const bad = badSymlink(s.path, targets.get(s.oid) ?? "/");
    if (bad) throw new TreeRefused(`unsafe path in the tree: ${bad}`);
    warnings.push(`${s.path}: a symlink; not followed`);
  }
  return warnings;
}
