// Content packs: contents appended to large immutable objects in ARCHIVE, so that a visit pays one R2 write per
// 8 MiB of contents instead of one per file (at SWH's scale, billions of class A operations saved; SWH's "winery").
//
// Layout (bucket ARCHIVE, stable): `content-packs/<origin key>/<visit>/<step>-<random>.pack` is the bytes of each
// content one after another, no header or padding; each stored raw, or deflate-raw compressed when that saves at
// least an eighth. The D1 row of a content (archive_contents: pack, pack_offset, pack_length, compressed) is what
// locates it; rows are written only once their pack is complete in R2, so a row never points at bytes that are
// not there. A pack key is never reused (the random part), so a step redone after a crash writes a new pack and
// never changes bytes a row already points at; a pack no row points at (its step crashed before its rows were
// written, or a racing visit stored the same contents first) is garbage a sweep may delete.
// A pack is written as one object when it stays under one part, else as a multipart upload of PART_BYTES parts
// (R2 wants every part but the last the same size) streamed as the contents come.

import { deflateRawSync, inflateRawSync } from "node:zlib";

/** Size of each multipart part (R2: at least 5 MiB, all but the last equal). */
export const PART_BYTES = 8 * 1024 * 1024;
/** A pack is closed once it holds this many bytes: tens of MiB, as R2 and range reads like them. */
export const PACK_BYTES = 64 * 1024 * 1024;
/** Contents smaller than this are stored raw: deflate would not pay for its CPU. */
const COMPRESS_MIN_BYTES = 512;

/** Where one content's bytes live once its pack is complete. */
export interface PackedContent {
  sha1Git: string;
  pack: string;
  offset: number;
  length: number;
  compressed: boolean;
}

/** A content as it is stored: deflated when that saves at least an eighth of its bytes. */
export function packedForm(data: Uint8Array): { bytes: Uint8Array; compressed: boolean } {
  if (data.length < COMPRESS_MIN_BYTES) return { bytes: data, compressed: false };
  const deflated = deflateRawSync(data, { level: 1 });
  if (deflated.length > data.length - (data.length >> 3)) return { bytes: data, compressed: false };
  return { bytes: new Uint8Array(deflated.buffer, deflated.byteOffset, deflated.length), compressed: true };
}

/** A content's bytes back from what was stored. */
export function unpacked(bytes: Uint8Array, compressed: boolean): Uint8Array {
  if (!compressed) return bytes;
  const out = inflateRawSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Writes contents into packs under `prefix`. `append` answers nothing: the locations are handed out by `close`
 * (and by `append` when it closes a full pack), once the pack they are in is complete.
 */
export class ContentPackWriter {
  private key: string | null = null;
  private upload: R2MultipartUpload | null = null;
  private parts: R2UploadedPart[] = [];
  private part: Uint8Array;
  private filled = 0;
  private size = 0;
  private entries: PackedContent[] = [];
  /** Packs completed by this writer (for the visit's log and the benchmark). */
  packs = 0;
  /** R2 writes made (puts, multipart creates, parts, completes). */
  writes = 0;

  constructor(
    private readonly bucket: R2Bucket,
    private readonly prefix: string,
    private readonly partBytes = PART_BYTES,
    private readonly packBytes = PACK_BYTES,
  ) {
    this.part = new Uint8Array(partBytes);
  }

  /** Bytes in the pack being written. */
  get pending(): number {
    return this.size;
  }

  /** Appends one content's stored form; answers the locations of a pack this completed, if any. */
  async append(sha1Git: string, bytes: Uint8Array, compressed: boolean): Promise<PackedContent[]> {
    this.key ??= `${this.prefix}${randomTag()}.pack`;
    this.entries.push({ sha1Git, pack: this.key, offset: this.size, length: bytes.length, compressed });
    this.size += bytes.length;
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, this.partBytes - this.filled);
      this.part.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.partBytes) await this.sendPart();
    }
    return this.size >= this.packBytes ? this.close() : [];
  }

  /** Completes the pack being written; answers where its contents are. */
  async close(): Promise<PackedContent[]> {
    if (!this.key) return [];
    const last = this.part.subarray(0, this.filled);
    if (!this.upload) {
      await this.bucket.put(this.key, last.slice());
      this.writes += 1;
    } else {
      if (this.filled) {
        this.parts.push(await this.upload.uploadPart(this.parts.length + 1, last.slice()));
        this.writes += 1;
      }
      await this.upload.complete(this.parts);
      this.writes += 1;
    }
    const done = this.entries;
    this.packs += 1;
    this.key = null;
    this.upload = null;
    this.parts = [];
    this.filled = 0;
    this.size = 0;
    this.entries = [];
    return done;
  }

  /** Gives up the pack being written (its multipart upload is aborted; R2 would drop it after a week anyway). */
  async abort(): Promise<void> {
    const upload = this.upload;
    this.key = null;
    this.upload = null;
    this.parts = [];
    this.filled = 0;
    this.size = 0;
    this.entries = [];
    if (upload) await upload.abort().catch(() => {});
  }

  private async sendPart(): Promise<void> {
    if (!this.upload) {
      this.upload = await this.bucket.createMultipartUpload(this.key!);
      this.writes += 1;
    }
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.part.slice(0, this.filled)));
    this.writes += 1;
    this.filled = 0;
  }
}

function randomTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
