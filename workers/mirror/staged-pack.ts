// A fetched pack staged in MIRROR_STAGING: streamed in once, then indexed (readPack over a second read,
// evicted delta bases re-read by range) and streamed out again into the tarball. Never whole in memory.

import { readPack, writePackIndex, parseCommit, r2Spill, storePack } from "../git";
import { strong } from "../core/errors";
import { limitBytes } from "./streams";

export interface StagedPack {
  key: string;
  size: number;
  /** The pack trailer's SHA-1: the name git gives the pack (pack-<checksum>.pack). */
  checksum: string;
  objects: number;
  /** git's .idx v2 for the pack. */
  index: Uint8Array;
  /** Committer time of `commit` (ms), read from the pack. */
  commitTime: number | null;
}

/**
 * Stages `pack` at `key`, then indexes it. `commit` must be in it (the tarball names it in its key and refs):
 * a pack without it is bad data.
 */
export async function stagePack(
  bucket: R2Bucket,
  key: string,
  pack: ReadableStream<Uint8Array>,
  commit: string,
  maxBytes: number,
  onProgress: (what: string) => Promise<void>,
): Promise<StagedPack> {
  const uploaded = await storePack(
    bucket,
    key,
    pack.pipeThrough(
      limitBytes(maxBytes, (n) =>
        strong(`the fetched pack passed MIRROR_MAX_TAR_BYTES (${maxBytes} bytes) at ${n} bytes`, "rejected"),
      ),
    ),
  );
  await onProgress(`pack staged: ${uploaded.size} bytes`);
  const body = await bucket.get(key);
  if (!body) throw new Error(`staged pack ${key} is missing right after its upload`);
  const reader = readPack(body.body, { spill: r2Spill(bucket, key) });
  const entries: { oid: string; offset: number; crc32: number }[] = [];
  let commitTime: number | null = null;
  for await (const object of reader.objects()) {
    entries.push({ oid: object.oid, offset: object.offset, crc32: object.crc32 });
    if (object.oid === commit) {
      if (object.type !== "commit") throw strong(`${commit} is a ${object.type}, not a commit`, "rejected");
      commitTime = commitTimeOf(object.data);
    }
    if (entries.length % 50_000 === 0) await onProgress(`indexed ${entries.length} objects`);
  }
  if (!entries.some((e) => e.oid === commit))
    throw strong(`the fetched pack does not hold commit ${commit}`, "rejected");
  const index = writePackIndex(entries, reader.checksum);
  return { key, size: uploaded.size, checksum: reader.checksum, objects: entries.length, index, commitTime };
}

function commitTimeOf(data: Uint8Array): number | null {
  try {
    return parseCommit(data).committer.time * 1000;
  } catch {
    return null;
  }
}
