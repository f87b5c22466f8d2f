// Pack index (.idx v2): writing one for a stored pack, and reading one to find objects in it by id.

import { fromHex, toHex } from "./bytes";
import { gitStrong } from "./errors";
import { sha1 } from "./sha1";

export interface IndexEntry {
  oid: string;
  offset: number;
  crc32: number;
}

const MAGIC = [0xff, 0x74, 0x4f, 0x63];

/** git's .idx v2 for a pack with trailer `packChecksum` (hex): what `git index-pack` writes. */
export function writePackIndex(entries: IndexEntry[], packChecksum: string): Uint8Array {
  if (!/^[0-9a-f]{40}$/.test(packChecksum)) throw new Error("writePackIndex: pack checksum must be 40 hex digits");
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (!/^[0-9a-f]{40}$/.test(e.oid)) throw new Error(`writePackIndex: bad oid ${JSON.stringify(e.oid)}`);
    if (i > 0 && sorted[i - 1]!.oid === e.oid) throw new Error(`writePackIndex: duplicate oid ${e.oid}`);
    if (!Number.isSafeInteger(e.offset) || e.offset < 12) throw new Error(`writePackIndex: bad offset ${e.offset}`);
  }
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000).length;
  const size = 8 + 1024 + n * (20 + 4 + 4) + large * 8 + 40;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, 2);
  const fanout = new Uint32Array(256);
  for (const e of sorted) fanout[parseInt(e.oid.slice(0, 2), 16)]!++;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += fanout[i]!;
    view.setUint32(8 + i * 4, running);
  }
  const oidsAt = 8 + 1024;
  const crcAt = oidsAt + n * 20;
  const offAt = crcAt + n * 4;
  const largeAt = offAt + n * 4;
  let nextLarge = 0;
  sorted.forEach((e, i) => {
    out.set(fromHex(e.oid), oidsAt + i * 20);
    view.setUint32(crcAt + i * 4, e.crc32 >>> 0);
    if (e.offset < 0x80000000) view.setUint32(offAt + i * 4, e.offset);
    else {
      view.setUint32(offAt + i * 4, 0x80000000 | nextLarge);
      view.setUint32(largeAt + nextLarge * 8, Math.floor(e.offset / 2 ** 32));
      view.setUint32(largeAt + nextLarge * 8 + 4, e.offset >>> 0);
      nextLarge++;
    }
  });
  const tail = largeAt + large * 8;
  out.set(fromHex(packChecksum), tail);
  const h = sha1();
  h.update(out.subarray(0, tail + 20));
  out.set(h.digest(), tail + 20);
  return out;
}

export interface PackIndex {
  count: number;
  packChecksum: string;
  /** The entry for `oid`, or undefined. */
  lookup(oid: string): IndexEntry | undefined;
  /** Every entry, in id order. */
  entries(): IndexEntry[];
}

/** Reads a .idx v2 (checking its own checksum): finds an object's offset in the pack it indexes. */
export function readPackIndex(idx: Uint8Array): PackIndex {
  const bad = (why: string) => gitStrong("corrupt_index", `pack index: ${why}`);
  if (idx.length < 8 + 1024 + 40 || MAGIC.some((b, i) => idx[i] !== b)) throw bad("not an idx v2 file");
  const view = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  if (view.getUint32(4) !== 2) throw bad(`unsupported version ${view.getUint32(4)}`);
  const n = view.getUint32(8 + 255 * 4);
  const oidsAt = 8 + 1024;
  const crcAt = oidsAt + n * 20;
  const offAt = crcAt + n * 4;
  const largeAt = offAt + n * 4;
  if (idx.length < largeAt + 40) throw bad("truncated");
  const h = sha1();
  h.update(idx.subarray(0, idx.length - 20));
  if (toHex(h.digest()) !== toHex(idx.subarray(idx.length - 20))) throw bad("checksum mismatch");
  const entryAt = (i: number): IndexEntry => {
    let offset = view.getUint32(offAt + i * 4);
    if (offset & 0x80000000) {
      const k = offset & 0x7fffffff;
      offset = view.getUint32(largeAt + k * 8) * 2 ** 32 + view.getUint32(largeAt + k * 8 + 4);
    }
    return {
      oid: toHex(idx.subarray(oidsAt + i * 20, oidsAt + i * 20 + 20)),
      offset,
      crc32: view.getUint32(crcAt + i * 4),
    };
  };
  return {
    count: n,
    packChecksum: toHex(idx.subarray(idx.length - 40, idx.length - 20)),
    lookup(oid) {
      if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
      const first = parseInt(oid.slice(0, 2), 16);
      let lo = first === 0 ? 0 : view.getUint32(8 + (first - 1) * 4);
      let hi = view.getUint32(8 + first * 4) - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const at = toHex(idx.subarray(oidsAt + mid * 20, oidsAt + mid * 20 + 20));
        if (at === oid) return entryAt(mid);
        if (at < oid) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    },
    entries: () => Array.from({ length: n }, (_, i) => entryAt(i)),
  };
}
