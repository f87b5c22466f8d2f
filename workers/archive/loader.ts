// Loads one pack into the archive in steps that each fit an invocation's budget: the first step fetches the
// pack (spooled to R2 in chunks as it streams, trailer checked) and parses as much as its budget allows, in one
// pass that hashes each object once, puts contents in content packs and stages the rest; later steps parse on
// from the spooled pack where the last one stopped, then store the staged trees, commits and tags in order.
// Between steps, everything is in R2 and the progress (plain JSON) is checkpointed by the caller.
// Memory stays bounded by `LoadBudgets`, whatever the pack's size.

import { fetchPack, readPack, writePackIndex, type PackReader } from "../git";
import { decodeEntries, encodeEntries, type EntryTable } from "../git/base-cache";
import { strong } from "../core/errors";
import { knownObjects, type ArchiveEnv } from "./store";
import { targetTypeOf, type TargetType } from "./loader-refs";
import {
  PackSpool,
  packPrefix,
  CHUNK_BYTES,
  finishStoredPack,
  storedPack,
  storedPackSpill,
  StagedPackError,
  type StoredPackInfo,
} from "./loader-pack";
import {
  ObjectSink,
  STAGE_MEMORY_BYTES,
  STAGED_ORDER,
  noCounts,
  type LoadCounts,
  type StagedKeys,
} from "./loader-objects";
import { GRAPH_BATCH, GRAPH_START, storeStaged, type GraphPosition } from "./loader-graph";
import { PackIds } from "./loader-ids";
import { StepMeter } from "./step-meter";
import type { ProgressReport } from "../core/progress";
import { yieldToEventLoop } from "./event-loop";

/**
 * What a load may hold, well under a Worker's 128 MB: resolved delta bases (12 MiB) and a window of recent
 * compressed pack bytes (16 MiB) in readPack, the pack chunk being spooled (8 MiB), staged trees/commits/tags
 * (12 MiB), two batches of contents (2 × 4 MiB), the content pack's part (8 MiB), and the object at hand. Bases
 * evicted from both are read back from the pack's chunks in R2.
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

/** A .idx is written beside packs of at most this many objects. */
const IDX_MAX_OBJECTS = 100_000;
/** Objects parsed between two yields to the event loop, so that other requests are served during a load. */
const YIELD_EVERY = 16;

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

/** Where a load is between steps: plain JSON, for the job's checkpoint. */
export interface LoadProgress {
  [key: string]: unknown;
  phase: "parse" | "graph" | "done";
  /** The spooled pack, once fetched. */
  pack: StoredPackInfo & { count: number };
  /** The next entry to parse (phase parse). */
  parsed: { entries: number; offset: number };
  staged: StagedKeys;
  /** The next staged record to store (phase graph). */
  graph: GraphPosition;
  /** The type of each wanted object found so far. */
  found: Record<string, TargetType>;
  counts: LoadCounts;
  objects: number;
  spillReads: number;
  contentPacks: number;
  /** Where the time went, in ms, over all steps so far. */
  timings: Record<string, number>;
}

export interface LoadResult {
  checksum: string;
  bytes: number;
  objects: number;
  /** The type of each wanted object, as found in the pack. */
  wanted: Map<string, TargetType>;
  counts: LoadCounts;
  timings: Record<string, number>;
  /** How often readPack re-read an evicted delta base from the pack in R2. */
  spillReads: number;
  /** Chunks of the stored pack. */
  chunks: number;
  contentPacks: number;
}

const entriesKey = (stagePrefix: string) => `${stagePrefix}entries`;
const stagingOf = (prefix: string) => prefix.replace(/^packs\//, "staging/");
const contentPacksOf = (prefix: string) => prefix.replace(/^packs\//, "content-packs/");

function add(timings: Record<string, number>, name: string, ms: number): void {
  timings[name] = (timings[name] ?? 0) + ms;
}

/**
 * Runs one step of a load: from `progress` (null: fetch the pack first) as far as `meter`'s budget allows,
 * always at least one object. `env` should be the meter's wrapped bindings. Answers the progress to checkpoint.
 */
export async function loadStep(
  env: ArchiveEnv,
  req: LoadRequest,
  progress: LoadProgress | null,
  meter: StepMeter,
): Promise<LoadProgress> {
  const budgets = req.budgets ?? DEFAULT_BUDGETS;
  const prefix = await packPrefix(req.origin, req.visit);
  const stagePrefix = stagingOf(prefix);
  let p = progress;
  let table: EntryTable | null = null;
  // A step that starts in the graph phase stores at least one batch, whatever its budget: every step progresses.
  const graphFirst = p?.phase === "graph";
  if (!p || p.phase === "parse") ({ progress: p, table } = await parseStep(env, req, p, meter, budgets, prefix));
  if (p.phase === "graph" && (graphFirst || !meter.spent(12)))
    p = await graphStep(env, p, meter, table ?? (await loadEntries(env, stagePrefix, p.pack.count)));
  if (p.phase === "done") await finishLoad(env, req, p, prefix, table);
  return p;
}

/** Runs the whole load in one go (no budget): a convenience for small packs and tests. */
export async function loadPack(env: ArchiveEnv, req: LoadRequest): Promise<LoadResult> {
  let p: LoadProgress | null = null;
  do p = await loadStep(env, req, p, new StepMeter({ objects: Infinity, subrequests: Infinity, cpuMs: Infinity }));
  while (p.phase !== "done");
  return resultOf(p);
}

export function resultOf(p: LoadProgress): LoadResult {
  return {
    checksum: p.pack.checksum,
    bytes: p.pack.bytes,
    objects: p.objects,
    wanted: new Map(Object.entries(p.found)),
    counts: p.counts,
    timings: p.timings,
    spillReads: p.spillReads,
    chunks: p.pack.chunks,
    contentPacks: p.contentPacks,
  };
}

async function parseStep(
  env: ArchiveEnv,
  req: LoadRequest,
  progress: LoadProgress | null,
  meter: StepMeter,
  budgets: LoadBudgets,
  prefix: string,
): Promise<{ progress: LoadProgress; table: EntryTable }> {
  const started = Date.now();
  const stagePrefix = stagingOf(prefix);
  const sink = new ObjectSink(
    env,
    stagePrefix,
    req.maxContentBytes,
    `${contentPacksOf(prefix)}${meter.started}-`,
    progress?.staged,
    budgets.stageBytes,
  );
  const wanted = new Set(req.wants);
  const found = { ...(progress?.found ?? {}) };
  let spillReads = 0;
  let spool: PackSpool | null = null;
  let upstream: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let reader: PackReader;
  let source: ReadableStream<Uint8Array>;
  const spillCounted = () => void (spillReads += 1);
  try {
    if (!progress) {
      // The first step: the pack streams into R2 through `spool`; the parser reads a detachable view of it, so that
      // a step that runs out of budget stops parsing and still spools the rest of the pack.
      spool = new PackSpool(env.ARCHIVE, prefix, budgets.chunkBytes);
      meter.fetched();
      upstream = spool.tap(await fetchPack(req.cloneUrl, { wants: req.wants, haves: req.haves })).getReader();
      const up = upstream;
      source = new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            const { done, value } = await up.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
          // The parser stopped early: the rest of the pack is drained into R2 below, not cancelled.
          cancel: () => {},
        },
        { highWaterMark: 0 },
      );
      const live = spool;
      reader = readPack(source, {
        cacheBytes: budgets.cacheBytes,
        windowBytes: budgets.windowBytes,
        spill: { read: (o, l) => (spillCounted(), live.read(o, l)) },
      });
    } else {
      const entries = await loadEntries(env, stagePrefix, progress.parsed.entries);
      source = storedPack(env.ARCHIVE, prefix, progress.pack, progress.parsed.offset);
      reader = readPack(source, {
        cacheBytes: budgets.cacheBytes,
        windowBytes: budgets.windowBytes,
        spill: storedPackSpill(env.ARCHIVE, prefix, progress.pack, spillCounted),
        resume: { entries, at: progress.parsed, count: progress.pack.count, checksum: progress.pack.checksum },
      });
    }
    let objects = progress?.objects ?? 0;
    let stopAt: { entries: number; offset: number } | null = null;
    let parsedHere = 0;
    for await (const obj of reader.objects()) {
      objects += 1;
      parsedHere += 1;
      meter.objects += 1;
      if (wanted.has(obj.oid)) found[obj.oid] = targetTypeOf(obj.type);
      await sink.add(obj);
      if (parsedHere % YIELD_EVERY === 0) await yieldToEventLoop();
      if ((objects & 1023) === 0)
        await req.progress?.(`${objects} objects parsed`, {
          phase: "parsing and storing",
          done: objects,
          total: reader.count,
          unit: "objects",
        });
      if (meter.spent(sink.reserve)) {
        const at = reader.resumePoint();
        if (at && at.entries < reader.count) {
          stopAt = at;
          break;
        }
      }
    }
    // Where this step's parse ended (all of the pack, or its budget): the progress bar's last word for the phase.
    await req.progress?.(`${objects} objects parsed`, {
      phase: "parsing and storing",
      done: objects,
      total: reader.count || objects,
      unit: "objects",
    });
    let pack = progress?.pack;
    if (upstream && spool) {
      // Whatever the parser did not read still goes to R2, checked against the pack's trailer.
      for (;;) if ((await upstream.read()).done) break;
      pack = { ...(await spool.stored()), count: reader.count };
    }
    const staged = await sink.endStep();
    const timings = { ...(progress?.timings ?? {}) };
    add(timings, "hash", sink.timings.hash);
    add(timings, "contents", sink.timings.contents);
    add(timings, "parse", Date.now() - started - sink.timings.hash - sink.timings.contents);
    const stored = sink.stored;
    const counts = { ...(progress?.counts ?? noCounts()) };
    counts.contents += stored.contents;
    counts.skippedContents += stored.skippedContents;
    const next: LoadProgress = {
      phase: stopAt ? "parse" : "graph",
      pack: pack!,
      parsed: stopAt ?? { entries: reader.count, offset: pack!.bytes - 20 },
      staged,
      graph: GRAPH_START,
      found,
      counts,
      objects,
      spillReads: (progress?.spillReads ?? 0) + spillReads,
      contentPacks: (progress?.contentPacks ?? 0) + stored.packs,
      timings,
    };
    // The next step needs the entries to resolve deltas (parse) or to know the pack's ids (graph).
    await env.ARCHIVE.put(entriesKey(stagePrefix), encodeEntries(reader.entries, next.parsed.entries));
    return { progress: next, table: reader.entries };
  } catch (err) {
    await sink.abort().catch(() => {});
    await upstream?.cancel(err).catch(() => {});
    throw err;
  }
}

async function loadEntries(env: ArchiveEnv, stagePrefix: string, count: number): Promise<EntryTable> {
  const obj = await env.ARCHIVE.get(entriesKey(stagePrefix));
  if (!obj) throw new StagedPackError(`the parsed entries ${entriesKey(stagePrefix)} are missing from R2`);
  return decodeEntries(new Uint8Array(await obj.arrayBuffer()), count);
}

function idsOf(table: EntryTable): PackIds {
  const ids = new PackIds();
  for (let i = 0; i < table.count; i++) if (table.hasOid[i]) ids.addBytes(table.oids.subarray(i * 20, i * 20 + 20));
  return ids;
}

async function graphStep(env: ArchiveEnv, p: LoadProgress, meter: StepMeter, table: EntryTable): Promise<LoadProgress> {
  const started = Date.now();
  const counts = { ...p.counts };
  let sinceYield = 0;
  const at = await storeStaged(
    {
      env,
      staged: p.staged,
      ids: idsOf(table),
      counts,
      batch: Math.max(1, Math.min(GRAPH_BATCH, meter.budget.objects)),
      after: async (stored) => {
        meter.objects += stored;
        if ((sinceYield += stored) >= GRAPH_BATCH) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
        return meter.spent(12);
      },
    },
    p.graph,
  );
  const timings = { ...p.timings };
  add(timings, "graph", Date.now() - started);
  return { ...p, phase: at ? "graph" : "done", graph: at ?? p.graph, counts, timings };
}

/** The last step: every wanted object found (in the pack or the archive), the pack's manifest, the stage dropped. */
async function finishLoad(
  env: ArchiveEnv,
  req: LoadRequest,
  p: LoadProgress,
  prefix: string,
  table: EntryTable | null,
): Promise<void> {
  // git leaves out what the haves already reach, so a new ref at an archived object (a tag on an old commit,
  // a rewound branch) has no object in the pack: it is complete in the archive, since snapshots come last.
  for (const kind of ["revision", "release", "directory", "content"] as const) {
    const absent = req.wants.filter((oid) => !p.found[oid]);
    if (!absent.length) break;
    for (const oid of await knownObjects(env, absent, [kind])) p.found[oid] = kind;
  }
  const missing = req.wants.filter((oid) => !p.found[oid]);
  if (missing.length)
    throw strong(
      `the server's pack lacks ${missing.length} object(s) its refs point to: ${missing.slice(0, 3).join(", ")}`,
    );
  const stagePrefix = stagingOf(prefix);
  let idx: Uint8Array | undefined;
  if (p.pack.count <= IDX_MAX_OBJECTS) {
    const t = table ?? (await loadEntries(env, stagePrefix, p.pack.count));
    const index = Array.from({ length: t.count }, (_, i) => ({
      oid: hexOf(t.oids, i),
      offset: t.offset[i]!,
      crc32: t.crc[i]!,
    }));
    idx = writePackIndex(index, p.pack.checksum);
  }
  await finishStoredPack(env.ARCHIVE, prefix, p.pack, p.objects, idx);
  await dropStage(env, stagePrefix, p.staged);
}

/** Drops the staged objects and entries from R2 (after success, or when a visit gives up). */
export async function dropStage(env: ArchiveEnv, stagePrefix: string, staged: StagedKeys): Promise<void> {
  const keys = [...STAGED_ORDER.flatMap((t) => staged[t]), entriesKey(stagePrefix)];
  for (let i = 0; i < keys.length; i += 1000) await env.ARCHIVE.delete(keys.slice(i, i + 1000));
}

function hexOf(oids: Uint8Array, i: number): string {
  let out = "";
  for (let j = i * 20; j < i * 20 + 20; j++) out += oids[j]!.toString(16).padStart(2, "0");
  return out;
}
