// writePack: whole objects (no deltas) into a pack v2 stream, each entry zlib-deflated, SHA-1 trailer.

import { deflate } from "pako";
import { crc32, encoder, toHex } from "./bytes";
import { OBJECT_TYPES, type ObjectType } from "./objects";
import { objectId, sha1 } from "./sha1";

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export interface PackInput {
  type: ObjectType;
  data: Uint8Array;
}

export interface WritePackOptions {
  /**
   * How many objects follow. The header needs the count first: without it (and without an array), the
   * compressed entries are held in memory until the input ends; with it, entries stream out as they come.
   */
  count?: number;
  /** Called for each entry written: what an .idx needs (see writePackIndex). */
  onEntry?: (entry: { oid: string; offset: number; crc32: number }) => void;
  /** Called with the pack's trailer checksum (hex) when the stream ends. */
  onEnd?: (checksum: string) => void;
  /** zlib level 0-9 (default 6, git's default too). */
  level?: number;
}

/** The pack entry (header + deflated data) of one object. */
export function packEntry(type: ObjectType, data: Uint8Array, level = 6): Uint8Array {
  if (!OBJECT_TYPES.includes(type)) throw new Error(`writePack: bad object type ${JSON.stringify(type)}`);
  const head: number[] = [];
  let size = data.length;
  let c = (TYPE_CODE[type] << 4) | (size & 15);
  size = Math.floor(size / 16);
  while (size > 0) {
    head.push(c | 0x80);
    c = size & 0x7f;
    size = Math.floor(size / 128);
  }
  head.push(c);
  const body = deflate(data, { level: level as 0 });
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

function header(count: number): Uint8Array {
  const out = new Uint8Array(12);
  out.set(encoder.encode("PACK"), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, 2);
  view.setUint32(8, count);
  return out;
}

export function writePack(
  objects: Iterable<PackInput> | AsyncIterable<PackInput>,
  opts: WritePackOptions = {},
): ReadableStream<Uint8Array> {
  const known = opts.count ?? (Array.isArray(objects) ? objects.length : undefined);
  const sha = sha1();
  let written = 0;
  let entryBytes = 0;

  function emit(controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) {
    sha.update(bytes);
    controller.enqueue(bytes);
  }
  function entry(o: PackInput): Uint8Array {
    const bytes = packEntry(o.type, o.data, opts.level);
    opts.onEntry?.({ oid: objectId(o.type, o.data), offset: 12 + entryBytes, crc32: crc32(0, bytes) });
    entryBytes += bytes.length;
    written++;
    return bytes;
  }
  function finish(controller: ReadableStreamDefaultController<Uint8Array>) {
    const sum = sha.digest();
    controller.enqueue(sum);
    opts.onEnd?.(toHex(sum));
    controller.close();
  }

  const iterator = (Symbol.asyncIterator in objects ? objects[Symbol.asyncIterator]() : objects[Symbol.iterator]()) as
    AsyncIterator<PackInput> | Iterator<PackInput>;

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      if (known !== undefined) return emit(controller, header(known));
      // Unknown count: compress everything first, then write header and entries.
      const held: Uint8Array[] = [];
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) held.push(entry(r.value));
      emit(controller, header(held.length));
      for (const bytes of held) emit(controller, bytes);
      finish(controller);
    },
    async pull(controller) {
      if (known === undefined) return;
      const r = await iterator.next();
      if (r.done) {
        if (written !== known) throw new Error(`writePack: ${written} objects given, ${known} announced`);
        return finish(controller);
      }
      if (written === known) throw new Error(`writePack: more objects than the ${known} announced`);
      emit(controller, entry(r.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
