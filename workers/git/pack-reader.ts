// readPack: a streaming, single-pass parse of a pack (v2/v3) into whole objects, deltas resolved, ids
// recomputed, trailer verified, in bounded memory (see README, "Memory").

import { fromHex, toHex, latin1 } from "./bytes";
import { BaseCache, EntryTable, type Resolved } from "./base-cache";
import { DeltaError, applyDelta, deltaResultSize } from "./delta";
import { gitStrong } from "./errors";
import { Inflater, inflateWhole } from "./inflate";
import type { ObjectType } from "./objects";
import { PackSource, truncated } from "./pack-source";
import { PackWindow } from "./pack-window";
import { objectId } from "./sha1";

export interface PackedObject {
  type: ObjectType;
  oid: string;
  data: Uint8Array;
  /** Offset of the entry in the pack (for the .idx). */
  offset: number;
  /** CRC-32 of the entry's bytes in the pack (for the .idx). */
  crc32: number;
}

/** Re-reads bytes of the pack being parsed (e.g. range reads of the same pack stored in R2). */
export interface PackSpill {
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ReadPackOptions {
  /** Bytes of resolved objects kept as delta bases (default 16 MiB). */
  cacheBytes?: number;
  /** Bytes of the pack itself kept (a ring of the most recent bytes) to re-read evicted bases from (default 32 MiB). */
  windowBytes?: number;
  /** Where evicted bases older than the window are re-read from; without it such a delta fails (strong, "base_evicted"). */
  spill?: PackSpill;
  /** Largest object accepted (default 96 MiB): a bigger one cannot be held in a Worker. */
  maxObjectBytes?: number;
  /**
   * Continues a parse an earlier invocation stopped at a resume point: `pack` streams from `at.offset` on, the
   * entries before it are given (delta bases are re-read through the spill), and the trailer is checked against
   * the checksum the whole pack was verified to have.
   */
  resume?: { entries: EntryTable; at: ResumePoint; count: number; checksum: string };
}

/** Where a parse can stop and a later one continue: the next entry's index and offset. */
export interface ResumePoint {
  entries: number;
  offset: number;
}

export interface PackReader {
  /** Every object once, in pack order (a REF_DELTA whose base comes later: when its base arrives). */
  objects(): AsyncIterable<PackedObject>;
  /** The pack's trailer SHA-1 (hex), once objects() has been read to the end. */
  readonly checksum: string;
  /** The object count from the pack header, once reading started. */
  readonly count: number;
  /** Evicted bases re-read from the in-memory window and from the spill, so far. */
  readonly stats: { windowReads: number; spillReads: number };
  /** The parsed entries (offsets, CRCs, ids): what a resumed parse and a .idx need. */
  readonly entries: EntryTable;
  /** After an object was yielded: where a later parse may continue, or null when deltas still wait on this one. */
  resumePoint(): ResumePoint | null;
}

const TYPES: Record<number, ObjectType> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag" };
const OFS_DELTA = 6;
const REF_DELTA = 7;

interface Waiting {
  index: number;
  offset: number;
  crc32: number;
  delta: Uint8Array;
}

export function readPack(pack: ReadableStream<Uint8Array>, opts: ReadPackOptions = {}): PackReader {
  const cacheBytes = opts.cacheBytes ?? 16 * 1024 * 1024;
  const window = new PackWindow(opts.windowBytes ?? 32 * 1024 * 1024);
  const maxObject = opts.maxObjectBytes ?? 96 * 1024 * 1024;
  const state = { checksum: "", count: 0, started: false };
  const stats = { windowReads: 0, spillReads: 0 };
  const table = opts.resume?.entries ?? new EntryTable();
  let boundary: ResumePoint | null = null;
  const cache = new BaseCache(cacheBytes);
  // id → entry, for REF_DELTA bases only: built on the first REF_DELTA (packs fetched with ofs-delta have none),
  // so most packs cost 20 bytes an object for ids, not a Map entry.
  let byOid: Map<string, number> | null = null;
  const oidIndex = (): Map<string, number> => {
    if (!byOid) {
      byOid = new Map();
      for (let i = 0; i < table.count; i++)
        if (table.hasOid[i]) {
          const oid = toHex(table.oids.subarray(i * 20, i * 20 + 20));
          if (!byOid.has(oid)) byOid.set(oid, i);
        }
    }
    return byOid;
  };
  const waiting = new Map<string, Waiting[]>();
  const inflater = new Inflater();

  /** The resolved object of entry `i`: from the cache, else re-read through the spill. */
  async function load(i: number, depth = 0): Promise<Resolved> {
    const hit = cache.get(i);
    if (hit) return hit;
    if (depth > 10_000) throw gitStrong("corrupt_pack", "delta chain too deep");
    const start = table.dataStart[i]!;
    const end = table.offset[i + 1]!;
    let raw = window.read(start, end - start);
    if (raw) stats.windowReads++;
    else {
      if (!opts.spill)
        throw gitStrong(
          "base_evicted",
          `delta base at offset ${table.offset[i]} is out of the cache and window, and no spill was given`,
        );
      raw = await opts.spill.read(start, end - start);
      stats.spillReads++;
    }
    const data = inflateWhole(inflater, raw, table.size[i]!);
    if (typeof data === "string") throw gitStrong("corrupt_pack", `re-read entry at ${table.offset[i]}: ${data}`);
    const kind = table.kind[i]!;
    let value: Resolved;
    if (TYPES[kind]) value = { type: TYPES[kind]!, data };
    else {
      const base = await load(table.base[i]!, depth + 1);
      value = { type: base.type, data: patch(base.data, data, table.offset[i]!) };
    }
    cache.put(i, value);
    return value;
  }

  async function* objects(): AsyncGenerator<PackedObject> {
    if (state.started) throw new Error("readPack: objects() can be read once");
    state.started = true;
    const resume = opts.resume;
    if (resume) window.startAt(resume.at.offset);
    const src = new PackSource(pack.getReader(), window, resume?.at.offset);
    try {
      if (resume) state.count = resume.count;
      else {
        await src.need(12, "header");
        if (latin1.decode(src.buf.subarray(src.pos, src.pos + 4)) !== "PACK")
          throw gitStrong("corrupt_pack", "not a pack (no PACK signature)");
        const view = new DataView(src.buf.buffer, src.buf.byteOffset + src.pos, 12);
        const version = view.getUint32(4);
        if (version !== 2 && version !== 3) throw gitStrong("corrupt_pack", `unsupported pack version ${version}`);
        state.count = view.getUint32(8);
        src.consume(12);
      }

      for (let n = resume?.at.entries ?? 0; n < state.count; n++) {
        const offset = src.offset;
        src.resetCrc();
        let c = await src.byte("entry header");
        const kind = (c >> 4) & 7;
        let size = c & 15;
        let shift = 4;
        while (c & 0x80) {
          c = await src.byte("entry header");
          size += (c & 0x7f) * 2 ** shift;
          shift += 7;
          if (shift > 56) throw gitStrong("corrupt_pack", `entry at ${offset}: size header too long`);
        }
        if (size > maxObject)
          throw gitStrong("too_large", `entry at ${offset}: ${size} bytes is over the ${maxObject}-byte limit`);
        let baseIndex = -1;
        let baseOid = "";
        if (kind === OFS_DELTA) {
          c = await src.byte("delta offset");
          let rel = c & 0x7f;
          while (c & 0x80) {
            c = await src.byte("delta offset");
            rel = (rel + 1) * 128 + (c & 0x7f);
          }
          baseIndex = table.find(offset - rel);
          if (rel === 0 || baseIndex < 0)
            throw gitStrong("corrupt_pack", `entry at ${offset}: no entry at its delta base offset ${offset - rel}`);
        } else if (kind === REF_DELTA) {
          await src.need(20, "delta base id");
          baseOid = toHex(src.buf.subarray(src.pos, src.pos + 20));
          src.consume(20);
        } else if (!TYPES[kind]) throw gitStrong("corrupt_pack", `entry at ${offset}: bad type ${kind}`);
        const dataStart = src.offset;

        inflater.begin(size);
        for (;;) {
          if (src.available() === 0 && !(await src.more())) throw truncated(`entry at ${offset}`);
          const step = inflater.push(src.buf, src.pos);
          if ("error" in step) throw gitStrong("corrupt_pack", `entry at ${offset}: ${step.error}`);
          src.consume(step.used);
          if (step.done) break;
        }
        const data = inflater.output();
        const crc = src.crc;

        if (kind === REF_DELTA) {
          const known = oidIndex().get(baseOid);
          const index = table.add(offset, dataStart, kind, size, known ?? -1);
          table.crc[index] = crc;
          if (known === undefined) {
            // Base not seen yet (allowed, though git writes bases first): wait for it, holding the delta.
            const list = waiting.get(baseOid) ?? [];
            list.push({ index, offset, crc32: crc, delta: data });
            waiting.set(baseOid, list);
            continue;
          }
          yield* emit(src, index, offset, crc, await resolveDelta(known, data, offset));
          continue;
        }
        const index = table.add(offset, dataStart, kind, size, baseIndex);
        table.crc[index] = crc;
        const value = kind === OFS_DELTA ? await resolveDelta(baseIndex, data, offset) : { type: TYPES[kind]!, data };
        yield* emit(src, index, offset, crc, value);
      }

      // A resumed parse saw only the pack's tail: its trailer must be the checksum the whole pack was verified to have.
      const actual = resume ? resume.checksum : toHex(src.digest());
      const trailer = toHex(await src.takeRaw(20, "trailer"));
      if (trailer !== actual)
        throw gitStrong("corrupt_pack", `pack checksum mismatch: trailer ${trailer}, content ${actual}`);
      if (await src.hasMore()) throw gitStrong("corrupt_pack", "junk after the pack trailer");
      if (waiting.size > 0) {
        const [oid] = waiting.keys();
        throw gitStrong("thin_pack", `pack is thin: delta base ${oid} is not in the pack`);
      }
      state.checksum = trailer;
    } finally {
      // Failed, or the consumer stopped early: release the source (a no-op once it has ended).
      if (!state.checksum) await src.cancel();
    }
  }

  async function resolveDelta(baseIndex: number, delta: Uint8Array, offset: number): Promise<Resolved> {
    const size = safeResultSize(delta, offset);
    if (size > maxObject)
      throw gitStrong("too_large", `entry at ${offset}: a delta to ${size} bytes is over the ${maxObject}-byte limit`);
    const base = await load(baseIndex);
    return { type: base.type, data: patch(base.data, delta, offset) };
  }

  /** Yields one object, then any deltas that were waiting for it (and for those, recursively). */
  async function* emit(
    src: PackSource,
    index: number,
    offset: number,
    crc: number,
    value: Resolved,
  ): AsyncGenerator<PackedObject> {
    const queue: { index: number; offset: number; crc: number; value: Resolved }[] = [{ index, offset, crc, value }];
    while (queue.length) {
      const o = queue.shift()!;
      const oid = objectId(o.value.type, o.value.data);
      table.setOid(o.index, fromHex(oid));
      if (byOid && !byOid.has(oid)) byOid.set(oid, o.index);
      cache.put(o.index, o.value);
      const deps = waiting.get(oid);
      // A clean stop: the entry is consumed, and no delta waits (on this object or any other).
      boundary = !queue.length && !deps && waiting.size === 0 ? { entries: table.count, offset: src.offset } : null;
      yield { type: o.value.type, oid, data: o.value.data, offset: o.offset, crc32: o.crc };
      if (deps) {
        waiting.delete(oid);
        for (const d of deps) {
          table.base[d.index] = o.index;
          queue.push({
            index: d.index,
            offset: d.offset,
            crc: d.crc32,
            value: { type: o.value.type, data: patch(o.value.data, d.delta, d.offset) },
          });
        }
      }
    }
  }

  return {
    objects,
    get checksum() {
      return state.checksum;
    },
    get count() {
      return state.count;
    },
    stats,
    entries: table,
    resumePoint: () => boundary,
  };
}

function safeResultSize(delta: Uint8Array, offset: number): number {
  try {
    return deltaResultSize(delta);
  } catch (err) {
    if (err instanceof DeltaError) throw gitStrong("corrupt_pack", `entry at ${offset}: ${err.message}`);
    throw err;
  }
}

function patch(base: Uint8Array, delta: Uint8Array, offset: number): Uint8Array {
  try {
    return applyDelta(base, delta);
  } catch (err) {
    if (err instanceof DeltaError) throw gitStrong("corrupt_pack", `entry at ${offset}: ${err.message}`);
    throw err;
  }
}
