// Streams a fetched pack into R2 as it is parsed, in fixed-size chunks, so that the pack is never whole in
// memory, is kept as fetched, and any byte range already passed can be read back (for evicted delta bases).
//
// R2 keys (bucket ARCHIVE), stable:
//   packs/<origin key>/<visit>/chunk-<n>   n = 0, 1, …: the pack's bytes, each CHUNK_BYTES long but the last
//   packs/<origin key>/<visit>/pack.json   { checksum, bytes, chunks, chunkBytes, objects } once the pack parsed
//   packs/<origin key>/<visit>/pack.idx    git's .idx (v2) of the pack, when it is small enough to index in memory
//   staging/<origin key>/<visit>/entries  the parsed entries (readPack's table), for the next step of the visit
// <origin key> is the sha1 hex of the origin URL.

import { createHash } from "node:crypto";
import { GitError, type PackSpill } from "../git";
import { toHex } from "../core/bytes";
import { originId } from "./hashes";

export const CHUNK_BYTES = 8 * 1024 * 1024;

export interface PackManifest {
  checksum: string;
  bytes: number;
  chunks: number;
  chunkBytes: number;
  objects: number;
}

export async function packPrefix(originUrl: string, visit: number): Promise<string> {
  return `packs/${originId(originUrl)}/${visit}/`;
}

/**
 * A pack chunk in R2 is gone or shorter than recorded: the staged pack is damaged and the visit cannot go on (a
 * strong GitError, so that readPack passes it on as it is; a new visit fetches the pack again).
 */
export class StagedPackError extends GitError {
  constructor(message: string) {
    super("strong", "staged_pack_damaged", message);
    this.name = "StagedPackError";
  }
}

/** Writes the pack to R2 as it passes through (checking its trailer), and reads back any range of it. */
export class PackSpool {
  private chunk: Uint8Array;
  private filled = 0;
  private written = 0; // chunks stored
  private total = 0;
  /** SHA-1 of every byte but the last 20 (the trailer), which wait in `tail`. */
  private readonly sha = createHash("sha1");
  private tail = new Uint8Array(0);

  constructor(
    private readonly bucket: R2Bucket,
    readonly prefix: string,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    this.chunk = new Uint8Array(chunkBytes);
  }

  get bytes(): number {
    return this.total;
  }

  /**
   * A pull-through stream: every chunk the parser reads is first appended to the spool, so R2 writes pace the
   * download and nothing queues up between them (unlike `tee`, whose slow side buffers without bound).
   */
  tap(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = source.getReader();
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const { done, value } = await reader.read();
          if (done) {
            await this.flush();
            controller.close();
            return;
          }
          await this.append(value);
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
  }

  private async append(bytes: Uint8Array): Promise<void> {
    this.digestPart(bytes);
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, this.chunkBytes - this.filled);
      this.chunk.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      this.total += n;
      at += n;
      if (this.filled === this.chunkBytes) await this.flush();
    }
  }

  private digestPart(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.tail.length + bytes.length);
    if (joined.length <= 20) {
      joined.set(this.tail);
      joined.set(bytes, this.tail.length);
      this.tail = joined;
      return;
    }
    const keep = Math.min(20, joined.length);
    if (bytes.length >= keep) {
      this.sha.update(this.tail);
      this.sha.update(bytes.subarray(0, bytes.length - keep));
      this.tail = bytes.slice(bytes.length - keep);
    } else {
      joined.set(this.tail);
      joined.set(bytes, this.tail.length);
      this.sha.update(joined.subarray(0, joined.length - keep));
      this.tail = joined.slice(joined.length - keep);
    }
  }

  /** The pack's checksum once all of it passed: its trailer, checked against the SHA-1 of the rest. */
  checksum(): string {
    const trailer = toHex(this.tail);
    const actual = toHex(new Uint8Array(this.sha.digest()));
    if (this.tail.length !== 20 || trailer !== actual)
      throw new StagedPackError(`pack checksum mismatch: trailer ${trailer}, content ${actual}`);
    return trailer;
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    await this.bucket.put(this.chunkKey(this.written), this.chunk.slice(0, this.filled));
    this.written += 1;
    this.filled = 0;
  }

  private chunkKey(n: number): string {
    return chunkKeyOf(this.prefix, n);
  }

  /** What a later step needs to read the pack back (all of it has passed and been flushed). */
  async stored(): Promise<StoredPackInfo> {
    await this.flush();
    return { bytes: this.total, chunks: this.written, chunkBytes: this.chunkBytes, checksum: this.checksum() };
  }

  /** Bytes [offset, offset+length) of the pack, from R2 or from the chunk still being filled. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.total)
      throw new RangeError(`pack range ${offset}+${length} is outside the ${this.total} bytes spooled`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const n = Math.floor(at / this.chunkBytes);
      const within = at - n * this.chunkBytes;
      const take = Math.min(length - done, this.chunkBytes - within);
      if (n === this.written) {
        out.set(this.chunk.subarray(within, within + take), done);
      } else {
        out.set(await readChunk(this.bucket, this.chunkKey(n), within, take), done);
      }
      done += take;
    }
    return out;
  }

  /** Records the parsed pack's manifest and drops chunks a longer earlier attempt of this visit left. */
  async finish(checksum: string, objects: number, idx?: Uint8Array): Promise<PackManifest> {
    await this.flush();
    return finishStoredPack(
      this.bucket,
      this.prefix,
      { checksum, bytes: this.total, chunks: this.written, chunkBytes: this.chunkBytes },
      objects,
      idx,
    );
  }
}

/** Writes a stored pack's manifest (and .idx), and drops chunks past its end that a longer earlier attempt left. */
export async function finishStoredPack(
  bucket: R2Bucket,
  prefix: string,
  info: StoredPackInfo,
  objects: number,
  idx?: Uint8Array,
): Promise<PackManifest> {
  const manifest: PackManifest = {
    checksum: info.checksum,
    bytes: info.bytes,
    chunks: info.chunks,
    chunkBytes: info.chunkBytes,
    objects,
  };
  const stale: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: `${prefix}chunk-`, cursor });
    for (const o of page.objects) if (Number(o.key.slice(-6)) >= info.chunks) stale.push(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  if (stale.length) await bucket.delete(stale);
  if (idx) await bucket.put(`${prefix}pack.idx`, idx);
  await bucket.put(`${prefix}pack.json`, JSON.stringify(manifest), {
    httpMetadata: { contentType: "application/json" },
  });
  return manifest;
}

const chunkKeyOf = (prefix: string, n: number) => `${prefix}chunk-${String(n).padStart(6, "0")}`;

/** Bytes [within, within+length) of one stored chunk; a missing or short chunk is a StagedPackError. */
async function readChunk(bucket: R2Bucket, key: string, within: number, length: number): Promise<Uint8Array> {
  let obj: R2ObjectBody | null;
  try {
    obj = await bucket.get(key, { range: { offset: within, length } });
  } catch (err) {
    throw new StagedPackError(`pack chunk ${key} cannot be read at ${within}+${length}: ${(err as Error).message}`);
  }
  if (!obj) throw new StagedPackError(`pack chunk ${key} is missing from R2`);
  const bytes = new Uint8Array(await obj.arrayBuffer());
  if (bytes.length !== length)
    throw new StagedPackError(`pack chunk ${key} is truncated: ${bytes.length} of ${length} bytes at ${within}`);
  return bytes;
}

/** Where a stored pack's bytes are, as the steps of a visit carry it. */
export interface StoredPackInfo {
  bytes: number;
  chunks: number;
  chunkBytes: number;
  checksum: string;
}

/** Range reads of a pack stored in chunks (readPack's spill when a later step re-reads delta bases). */
export function storedPackSpill(
  bucket: R2Bucket,
  prefix: string,
  info: StoredPackInfo,
  onRead?: () => void,
): PackSpill {
  return {
    async read(offset, length) {
      if (offset < 0 || offset + length > info.bytes)
        throw new StagedPackError(`pack range ${offset}+${length} is outside its ${info.bytes} bytes`);
      onRead?.();
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const at = offset + done;
        const n = Math.floor(at / info.chunkBytes);
        const within = at - n * info.chunkBytes;
        const take = Math.min(length - done, info.chunkBytes - within);
        out.set(await readChunk(bucket, chunkKeyOf(prefix, n), within, take), done);
        done += take;
      }
      return out;
    },
  };
}

/** The stored pack as one stream from byte `from` on, chunk after chunk (a resumed parse, or serving it). */
export function storedPack(
  bucket: R2Bucket,
  prefix: string,
  info: { chunks: number; chunkBytes: number; bytes?: number },
  from = 0,
): ReadableStream<Uint8Array> {
  let n = Math.floor(from / info.chunkBytes);
  let within = from - n * info.chunkBytes;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (n >= info.chunks) return controller.close();
        const key = chunkKeyOf(prefix, n);
        const last = n === info.chunks - 1;
        const expected =
          info.bytes === undefined ? undefined : (last ? info.bytes - n * info.chunkBytes : info.chunkBytes) - within;
        let obj: R2ObjectBody | null;
        try {
          obj = await bucket.get(key, within ? { range: { offset: within } } : {});
        } catch (err) {
          return controller.error(
            new StagedPackError(`pack chunk ${key} cannot be read from ${within}: ${(err as Error).message}`),
          );
        }
        if (!obj) return controller.error(new StagedPackError(`pack chunk ${key} is missing from R2`));
        const bytes = new Uint8Array(await obj.arrayBuffer());
        if (expected !== undefined && bytes.length !== expected)
          return controller.error(
            new StagedPackError(`pack chunk ${key} is truncated: ${bytes.length} of ${expected} bytes`),
          );
        controller.enqueue(bytes);
        n += 1;
        within = 0;
      },
    },
    { highWaterMark: 0 },
  );
}
