// Loads one pack into the archive: fetches the objects behind `wants` (the server leaves out what `haves`
// reach), spools the pack to R2 as it streams, parses it, and stores every object in the archive's order.
// Memory stays bounded by `LoadBudgets`, whatever the pack's size.

import { fetchPack, readPack, writePackIndex } from "../git";
import { strong } from "../core/errors";
import { knownObjects, type ArchiveEnv } from "./store";
import { targetTypeOf, type TargetType } from "./loader-refs";
import { PackSpool, packPrefix, CHUNK_BYTES } from "./loader-pack";
import { ObjectSink, STAGE_MEMORY_BYTES, type LoadCounts } from "./loader-objects";
import type { ProgressReport } from "../core/progress";

/**
 * What a load may hold, well under a Worker's 128 MB: resolved delta bases (12 MiB) and a window of recent
 * compressed pack bytes (16 MiB) in readPack, the pack chunk being spooled (8 MiB), staged trees/commits/tags
 * (12 MiB), two batches of contents (2 × 4 MiB), and the object at hand. Bases evicted from both are read back
 * from the pack's chunks in R2.
 */
export interface LoadBudgets {
  cacheBytes: number;
  windowBytes: number;
  chunkBytes: number;
  stageBytes: number;
}

export const DEFAULT_BUDGETS: LoadBudgets = {
  cacheBytes: 12 * 1024 * 1024,
  windowBytes: 16 * 1024 * 1024,
  chunkBytes: CHUNK_BYTES,
  stageBytes: STAGE_MEMORY_BYTES,
};

/** A .idx is written beside packs of at most this many objects (its entries are held until the end). */
const IDX_MAX_OBJECTS = 100_000;

export interface LoadRequest {
  origin: string;
  cloneUrl: string;
  visit: number;
  wants: string[];
  haves: string[];
  maxContentBytes: number;
  budgets?: LoadBudgets;
  /** Called now and then with progress (the job's heartbeat), and a report for the job's progress bar. */
  progress?: (note: string, report?: ProgressReport) => Promise<void>;
}

export interface LoadResult {
  checksum: string;
  bytes: number;
  objects: number;
  /** The type of each wanted object, as found in the pack. */
  wanted: Map<string, TargetType>;
  counts: LoadCounts;
  /** Where the time went, in ms (for the visit's log). */
  timings: Record<string, number>;
  /** How often readPack re-read an evicted delta base from the pack in R2. */
  spillReads: number;
  /** Chunks of the stored pack. */
  chunks: number;
}

export async function loadPack(env: ArchiveEnv, req: LoadRequest): Promise<LoadResult> {
  const budgets = req.budgets ?? DEFAULT_BUDGETS;
  const prefix = await packPrefix(req.origin, req.visit);
  const spool = new PackSpool(env.ARCHIVE, prefix, budgets.chunkBytes);
  const sink = new ObjectSink(env, prefix.replace(/^packs\//, "staging/"), req.maxContentBytes, budgets.stageBytes);
  const wanted = new Set(req.wants);
  const found = new Map<string, TargetType>();
  const index: { oid: string; offset: number; crc32: number }[] = [];
  const timings: Record<string, number> = {};
  let objects = 0;
  let spillReads = 0;
  const started = Date.now();
  try {
    const pack = await fetchPack(req.cloneUrl, { wants: req.wants, haves: req.haves });
    const reader = readPack(spool.tap(pack), {
      cacheBytes: budgets.cacheBytes,
      windowBytes: budgets.windowBytes,
      spill: {
        read: (offset: number, length: number) => {
          spillReads += 1;
          return spool.read(offset, length);
        },
      },
    });
    let storing = 0;
    for await (const obj of reader.objects()) {
      objects += 1;
      if (wanted.has(obj.oid)) found.set(obj.oid, targetTypeOf(obj.type));
      if (objects <= IDX_MAX_OBJECTS) index.push({ oid: obj.oid, offset: obj.offset, crc32: obj.crc32 });
      const before = Date.now();
      await sink.add(obj);
      storing += Date.now() - before;
      if ((objects & 255) === 0) {
        // Parsing buffered data only ever awaits microtasks: yield to the event loop now and then, so that the
        // isolate keeps answering other requests (the dashboard, this job's own watchdog reads) during a long load.
        await new Promise((resolve) => setTimeout(resolve, 0));
        await req.progress?.(`${objects} objects, ${spool.bytes} bytes`, { phase: "parsing and storing", done: objects, total: reader.count, unit: "objects" });
      }
    }
    timings.parse = Date.now() - started - storing;
    timings.contentsWhileParsing = storing;
    await req.progress?.(`${objects} objects parsed`, { phase: "parsing and storing", done: objects, total: reader.count || objects, unit: "objects" });
    const counts = await sink.finish(async () => req.progress?.(`storing: ${objects} objects parsed`, { phase: "storing the rest", done: 0, unit: "objects" }));
    Object.assign(timings, sink.timings);
    // git leaves out what the haves already reach, so a new ref at an archived object (a tag on an old commit,
    // a rewound branch) has no object in the pack: it is complete in the archive, since snapshots come last.
    for (const kind of ["revision", "release", "directory", "content"] as const) {
      const absent = req.wants.filter((oid) => !found.has(oid));
      if (!absent.length) break;
      for (const oid of await knownObjects(env, absent, [kind])) found.set(oid, kind);
    }
    const missing = req.wants.filter((oid) => !found.has(oid));
    if (missing.length)
      throw strong(`the server's pack lacks ${missing.length} object(s) its refs point to: ${missing.slice(0, 3).join(", ")}`);
    const idx = objects <= IDX_MAX_OBJECTS ? writePackIndex(index, reader.checksum) : undefined;
    const manifest = await spool.finish(reader.checksum, objects, idx);
    return { checksum: reader.checksum, bytes: spool.bytes, objects, wanted: found, counts, timings, spillReads, chunks: manifest.chunks };
  } catch (err) {
    await sink.discard().catch(() => {});
    throw err;
  }
}
