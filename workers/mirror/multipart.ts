// Uploading a stream of unknown length to R2: fixed-size parts (R2 wants every part but the last at least
// 5 MiB and all of one size) through a multipart upload, or one plain put when it all fits in one part.

import { fixedPieces } from "./streams";
import { MIB } from "../core/limits";

export const PART_BYTES = 8 * MIB;

export interface UploadResult {
  key: string;
  size: number;
  etag: string;
  parts: number;
}

/**
 * Streams `body` into `bucket` at `key`. Holds one part in memory at a time. On any failure the multipart
 * upload is aborted, so nothing half-written is left under `key`.
 */
export async function uploadStream(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  options: R2MultipartOptions = {},
  partBytes = PART_BYTES,
): Promise<UploadResult> {
  if (partBytes < 5 * MIB) throw new Error("R2 multipart parts must be at least 5 MiB");
  const pieces = fixedPieces(body, partBytes);
  const first = await pieces.next();
  if (first.done || first.value.byteLength < partBytes) {
    const bytes = first.done ? new Uint8Array(0) : first.value;
    const put = await bucket.put(key, bytes, options);
    return { key, size: bytes.byteLength, etag: put.etag, parts: 1 };
  }
  const upload = await bucket.createMultipartUpload(key, options);
  const parts: R2UploadedPart[] = [];
  let size = 0;
  try {
    let piece: IteratorResult<Uint8Array> = first;
    while (!piece.done) {
      parts.push(await upload.uploadPart(parts.length + 1, piece.value));
      size += piece.value.byteLength;
      piece = await pieces.next();
    }
    const done = await upload.complete(parts);
    return { key, size, etag: done.etag, parts: parts.length };
  } catch (err) {
    await upload.abort().catch(() => {});
    await pieces.return(undefined).catch(() => {});
    throw err;
  }
}
