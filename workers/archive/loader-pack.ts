// Streams a fetched pack into R2 as it is parsed, in fixed-size chunks, so that the pack is never whole in
// memory, is kept as fetched, and any byte range already passed can be read back (for evicted delta bases).
//
// R2 keys (bucket ARCHIVE), stable:
//   packs/<origin key>/<visit>/chunk-<n>   n = 0, 1, …: the pack's bytes, each CHUNK_BYTES long but the last
//   packs/<origin key>/<visit>/pack.json   { checksum, bytes, chunks, chunkBytes, objects } once the pack parsed
//   packs/<origin key>/<visit>/pack.idx    git's .idx (v2) of the pack, when it is small enough to index in memory
// <origin key> is the sha1 hex of the origin URL.

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

/** Writes the pack to R2 as it passes through, and reads back any range of it. */
export class PackSpool {
  private chunk: Uint8Array;
  private filled = 0;
  private written = 0; // chunks stored
  private total = 0;

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

  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    await this.bucket.put(this.chunkKey(this.written), this.chunk.slice(0, this.filled));
    this.written += 1;
    this.filled = 0;
  }

  private chunkKey(n: number): string {
    return `${this.prefix}chunk-${String(n).padStart(6, "0")}`;
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
        const obj = await this.bucket.get(this.chunkKey(n), { range: { offset: within, length: take } });
        if (!obj) throw new Error(`pack chunk ${this.chunkKey(n)} is missing from R2`);
        out.set(new Uint8Array(await obj.arrayBuffer()), done);
      }
      done += take;
    }
    return out;
  }

  /** Records the parsed pack's manifest and drops chunks a longer earlier attempt of this visit left. */
  async finish(checksum: string, objects: number, idx?: Uint8Array): Promise<PackManifest> {
    await this.flush();
    const manifest: PackManifest = { checksum, bytes: this.total, chunks: this.written, chunkBytes: this.chunkBytes, objects };
    const stale: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: `${this.prefix}chunk-`, cursor });
      for (const o of page.objects) if (Number(o.key.slice(-6)) >= this.written) stale.push(o.key);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    if (stale.length) await this.bucket.delete(stale);
    if (idx) await this.bucket.put(`${this.prefix}pack.idx`, idx);
    await this.bucket.put(`${this.prefix}pack.json`, JSON.stringify(manifest), { httpMetadata: { contentType: "application/json" } });
    return manifest;
  }
}

/** The stored pack as one stream, chunk after chunk (for re-reading or serving it). */
export function storedPack(bucket: R2Bucket, prefix: string, manifest: PackManifest): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (n >= manifest.chunks) return controller.close();
        const key = `${prefix}chunk-${String(n).padStart(6, "0")}`;
        const obj = await bucket.get(key);
        if (!obj) return controller.error(new Error(`pack chunk ${key} is missing from R2`));
        controller.enqueue(new Uint8Array(await obj.arrayBuffer()));
        n += 1;
      },
    },
    { highWaterMark: 0 },
  );
}
