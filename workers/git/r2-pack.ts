// Packs in R2: storing a pack stream (multipart, bounded memory) and re-reading its ranges as a PackSpill.

import { gitWeak } from "./errors";
import type { PackSpill } from "./pack-reader";

const PART_BYTES = 8 * 1024 * 1024; // R2 multipart parts must be >= 5 MiB except the last

/** Range reads of the pack stored at `key`: how readPack re-reads delta bases it evicted. */
export function r2Spill(bucket: R2Bucket, key: string): PackSpill {
  return {
    async read(offset, length) {
      const obj = await bucket.get(key, { range: { offset, length } });
      if (!obj) throw gitWeak("spill_missing", `pack ${key} is not in R2 (spill read at ${offset})`);
      const bytes = new Uint8Array(await obj.arrayBuffer());
      if (bytes.length !== length)
        throw gitWeak("spill_short", `pack ${key}: spill read ${bytes.length} of ${length} bytes at ${offset}`);
      return bytes;
    },
  };
}

/**
 * Stores a pack stream at `key` with a multipart upload, holding one part (8 MiB) at a time.
 * A failure aborts the upload and leaves nothing behind. Returns the stored size.
 */
export async function storePack(
  bucket: R2Bucket,
  key: string,
  pack: ReadableStream<Uint8Array>,
  opts: { partBytes?: number } = {},
): Promise<{ size: number }> {
  const partBytes = Math.max(opts.partBytes ?? PART_BYTES, 5 * 1024 * 1024);
  const upload = await bucket.createMultipartUpload(key, {
    httpMetadata: { contentType: "application/x-git-packed-objects" },
  });
  const parts: R2UploadedPart[] = [];
  let part = new Uint8Array(partBytes);
  let fill = 0;
  let size = 0;
  try {
    for await (const chunk of pack as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      for (let at = 0; at < chunk.length;) {
        const n = Math.min(chunk.length - at, partBytes - fill);
        part.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === partBytes) {
          parts.push(await upload.uploadPart(parts.length + 1, part));
          part = new Uint8Array(partBytes);
          fill = 0;
        }
      }
    }
    if (fill > 0 || parts.length === 0) parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, fill)));
    await upload.complete(parts);
    return { size };
  } catch (err) {
    await upload.abort().catch(() => {});
    throw err;
  }
}
