// Delta bases kept for later deltas: a byte-bounded LRU of resolved objects, keyed by pack entry index.

import type { ObjectType } from "./objects";

export interface Resolved {
  type: ObjectType;
  data: Uint8Array;
}

export class BaseCache {
  private readonly entries = new Map<number, Resolved>();
  private bytes = 0;

  constructor(readonly limit: number) {}

  get(index: number): Resolved | undefined {
    const hit = this.entries.get(index);
    if (hit) {
      // Refresh: Map keeps insertion order, so the first key is the least recently used.
      this.entries.delete(index);
      this.entries.set(index, hit);
    }
    return hit;
  }

  put(index: number, value: Resolved): void {
    if (value.data.length > this.limit || this.entries.has(index)) return;
    this.entries.set(index, value);
    this.bytes += value.data.length;
    while (this.bytes > this.limit) {
      const oldest = this.entries.keys().next().value as number;
      this.bytes -= this.entries.get(oldest)!.data.length;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.bytes;
  }
}

/** Growable per-entry metadata in typed arrays: ~50 bytes an entry (id included), so a million entries stay small. */
export class EntryTable {
  count = 0;
  /** Object ids, 20 bytes each, once known (hasOid). */
  oids = new Uint8Array(1024 * 20);
  hasOid = new Uint8Array(1024);
  offset = new Float64Array(1024);
  dataStart = new Float64Array(1024);
  size = new Float64Array(1024);
  base = new Int32Array(1024);
  kind = new Uint8Array(1024);
  /** CRC-32 of each entry's bytes (for the .idx). */
  crc = new Uint32Array(1024);

  add(offset: number, dataStart: number, kind: number, size: number, base: number): number {
    if (this.count === this.offset.length) this.grow();
    const i = this.count++;
    this.offset[i] = offset;
    this.dataStart[i] = dataStart;
    this.kind[i] = kind;
    this.size[i] = size;
    this.base[i] = base;
    return i;
  }

  setOid(i: number, oid: Uint8Array): void {
    this.oids.set(oid, i * 20);
    this.hasOid[i] = 1;
  }

  /** The index of the entry starting at `offset`, or -1. */
  find(offset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.offset[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  grow(): void {
    const n = this.offset.length * 2;
    const f = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.offset = f(this.offset);
    this.dataStart = f(this.dataStart);
    this.size = f(this.size);
    const base = new Int32Array(n);
    base.set(this.base);
    this.base = base;
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
    const crc = new Uint32Array(n);
    crc.set(this.crc);
    this.crc = crc;
    const has = new Uint8Array(n);
    has.set(this.hasOid);
    this.hasOid = has;
    const oids = new Uint8Array(n * 20);
    oids.set(this.oids);
    this.oids = oids;
  }
}

/**
 * The first `count` entries as bytes, to carry a parse across invocations (a resumed readPack needs every earlier
 * entry to resolve deltas against): u32 count, then offset, dataStart, size (f64), base (i32), crc (u32), kind,
 * hasOid (u8), oids (20 bytes each); widest first so each array starts aligned.
 */
export function encodeEntries(table: EntryTable, count = table.count): Uint8Array {
  const parts: Uint8Array[] = [
    new Uint8Array(new Uint32Array([count, 0]).buffer),
    ...[table.offset, table.dataStart, table.size, table.base, table.crc].map(
      (a) => new Uint8Array(a.buffer, 0, count * a.BYTES_PER_ELEMENT),
    ),
    table.kind.subarray(0, count),
    table.hasOid.subarray(0, count),
    table.oids.subarray(0, count * 20),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** The table encodeEntries wrote, cut to its first `count` entries (a later step may have stored more). */
export function decodeEntries(bytes: Uint8Array, count?: number): EntryTable {
  const stored = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(0, true);
  const n = count ?? stored;
  if (n > stored) throw new Error(`stored pack entries hold ${stored} entries, ${n} wanted`);
  const table = new EntryTable();
  while (table.offset.length < n) table.grow();
  let at = 8;
  const take = (width: number) => {
    const slice = bytes.slice(at, at + n * width);
    at += stored * width;
    return slice.buffer;
  };
  table.offset.set(new Float64Array(take(8)));
  table.dataStart.set(new Float64Array(take(8)));
  table.size.set(new Float64Array(take(8)));
  table.base.set(new Int32Array(take(4)));
  table.crc.set(new Uint32Array(take(4)));
  table.kind.set(new Uint8Array(take(1)));
  table.hasOid.set(new Uint8Array(take(1)));
  table.oids.set(new Uint8Array(take(20)));
  table.count = n;
  return table;
}
