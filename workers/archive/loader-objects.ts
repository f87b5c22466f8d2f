// Takes a pack's objects as they are parsed and stores them in the archive's order: contents as they come
// (in batches), then, once the pack is through, directories, revisions and releases. Those three wait in a
// stage: in memory up to a byte budget, beyond it in R2, so memory stays bounded whatever the pack's size.
//
// R2 keys (bucket ARCHIVE): staging/<origin key>/<visit>/<tree|commit|tag>-<n>: staged objects, records of
// [20-byte id][u32 big-endian length][body]; deleted once stored.

import type { ObjectType, PackedObject } from "../git";
import { contentFromBlob, directoryFromTree, releaseFromTag, revisionFromCommit } from "./convert";
import { fromHex, toHex } from "../core/bytes";
import { knownObjects, storeContents, storeDirectories, storeReleases, storeRevisions, type ArchiveEnv } from "./store";
import { parseDirectory } from "./manifest";
import { PackIds } from "./loader-ids";
import type { Content, Directory, Release, Revision } from "./model";

/** Blobs stored per batch: at most this many… */
const CONTENT_BATCH_OBJECTS = 400;
/** …and about this many bytes. */
const CONTENT_BATCH_BYTES = 4 * 1024 * 1024;
/** Directories, revisions or releases per store call. */
const GRAPH_BATCH = 500;
/** Staged bodies kept in memory before they go to R2. */
export const STAGE_MEMORY_BYTES = 12 * 1024 * 1024;

type Staged = "tree" | "commit" | "tag";
const STAGED_ORDER: Staged[] = ["tree", "commit", "tag"];

export interface LoadCounts {
  contents: number;
  skippedContents: number;
  directories: number;
  revisions: number;
  releases: number;
}

/** Thrown when an object cannot become part of the archive (a malformed commit, tag or tree). */
export class BadObjectError extends Error {
  constructor(type: ObjectType, oid: string, cause: unknown) {
    super(`${type} ${oid} cannot be archived: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "BadObjectError";
  }
}

/** Thrown when stored objects would point to objects that are neither in the pack nor in the archive. */
export class IncompletePackError extends Error {
  constructor(missing: { from: string; to: string }[]) {
    const shown = missing.slice(0, 3).map((m) => `${m.from} → ${m.to}`).join(", ");
    super(`the pack is incomplete: ${missing.length} referenced object(s) are neither in it nor in the archive (${shown}${missing.length > 3 ? ", …" : ""})`);
    this.name = "IncompletePackError";
  }
}

interface Record_ {
  oid: string;
  data: Uint8Array;
}

export class ObjectSink {
  readonly counts: LoadCounts = { contents: 0, skippedContents: 0, directories: 0, revisions: 0, releases: 0 };
  /** Milliseconds spent per step after the pack is through (for the visit's log). */
  readonly timings: Record<string, number> = {};
  private blobs: PackedObject[] = [];
  private blobBytes = 0;
  /** The batch of contents being stored while the next one fills. */
  private inFlight: Promise<void> | null = null;
  private memory: Record<Staged, Record_[]> = { tree: [], commit: [], tag: [] };
  private memoryBytes = 0;
  private spilled: Record<Staged, string[]> = { tree: [], commit: [], tag: [] };
  /** Every id in the pack: what a stored object may point to without asking the archive. */
  private readonly ids = new PackIds();

  constructor(
    private readonly env: ArchiveEnv,
    private readonly stagePrefix: string,
    private readonly maxContentBytes: number,
    private readonly stageBudget = STAGE_MEMORY_BYTES,
  ) {}

  async add(obj: PackedObject): Promise<void> {
    this.ids.add(obj.oid);
    if (obj.type === "blob") {
      this.blobs.push(obj);
      this.blobBytes += obj.data.length;
      if (this.blobs.length >= CONTENT_BATCH_OBJECTS || this.blobBytes >= CONTENT_BATCH_BYTES) await this.flushContents();
      return;
    }
    this.memory[obj.type].push({ oid: obj.oid, data: obj.data });
    this.memoryBytes += obj.data.length + 24;
    if (this.memoryBytes > this.stageBudget) await this.spill();
  }

  /** Stores what is left: the last contents, then directories, revisions, releases; then drops the stage. */
  async finish(heartbeat: () => Promise<void>): Promise<LoadCounts> {
    let at = Date.now();
    await this.flushContents();
    await this.inFlight;
    this.inFlight = null;
    this.timings.contents = Date.now() - at;
    for (const type of STAGED_ORDER) {
      at = Date.now();
      let batch: Record_[] = [];
      for await (const record of this.staged(type)) {
        batch.push(record);
        if (batch.length >= GRAPH_BATCH) {
          await this.storeGraph(type, batch);
          batch = [];
          await heartbeat();
        }
      }
      if (batch.length) await this.storeGraph(type, batch);
      this.timings[type === "tree" ? "directories" : type === "commit" ? "revisions" : "releases"] = Date.now() - at;
    }
    await this.discard();
    return this.counts;
  }

  /** Drops staged objects from R2 (after success, or when a visit gives up). */
  async discard(): Promise<void> {
    const keys = STAGED_ORDER.flatMap((t) => this.spilled[t]);
    for (let i = 0; i < keys.length; i += 1000) await this.env.ARCHIVE.delete(keys.slice(i, i + 1000));
    this.spilled = { tree: [], commit: [], tag: [] };
    this.memory = { tree: [], commit: [], tag: [] };
    this.memoryBytes = 0;
  }

  private async flushContents(): Promise<void> {
    const batch = this.blobs;
    this.blobs = [];
    this.blobBytes = 0;
    // One batch is stored while the next is parsed: at most two batches of bytes are held.
    await this.inFlight;
    this.inFlight = null;
    if (!batch.length) return;
    const contents: Content[] = [];
    for (const obj of batch) contents.push(await contentFromBlob(obj.data, this.maxContentBytes));
    this.inFlight = storeContents(this.env, contents).then((r) => {
      this.counts.contents += r.added;
      this.counts.skippedContents += r.skipped;
    });
    // Surface a failed store at the next await rather than as an unhandled rejection.
    this.inFlight.catch(() => {});
  }

  private async storeGraph(type: Staged, records: Record_[]): Promise<void> {
    const convert = <T>(f: (oid: string, data: Uint8Array) => T) =>
      records.map((r) => {
        try {
          return f(r.oid, r.data);
        } catch (err) {
          throw new BadObjectError(type, r.oid, err);
        }
      });
    if (type === "tree") {
      const dirs: Directory[] = convert(directoryFromTree);
      // Gitlinks (submodules) point into another repository: not ours to hold.
      await this.checkReferences(dirs.flatMap((d) => parseDirectory(d.raw).flatMap((e) => (e.type === "rev" ? [] : [{ from: d.id, to: e.target }]))));
      this.counts.directories += (await storeDirectories(this.env, dirs)).added;
    } else if (type === "commit") {
      const revs: Revision[] = convert(revisionFromCommit);
      await this.checkReferences(revs.flatMap((r) => [r.directory, ...r.parents].map((to) => ({ from: r.id, to }))));
      this.counts.revisions += (await storeRevisions(this.env, revs)).added;
    } else {
      const rels: Release[] = convert(releaseFromTag);
      await this.checkReferences(rels.map((r) => ({ from: r.id, to: r.target })));
      this.counts.releases += (await storeReleases(this.env, rels)).added;
    }
  }

  /**
   * Every object a batch points to must be in the pack or already archived, before the batch is stored:
   * a corrupt object served under another id, or a server's broken repo, fails here rather than leaving
   * a directory or revision that points nowhere.
   */
  private async checkReferences(refs: { from: string; to: string }[]): Promise<void> {
    const outside = refs.filter((r) => !this.ids.has(r.to));
    if (!outside.length) return;
    const known = await knownObjects(this.env, outside.map((r) => r.to));
    const missing = outside.filter((r) => !known.has(r.to));
    if (missing.length) throw new IncompletePackError(missing);
  }

  /** Moves every staged body from memory to R2, one object per type. */
  private async spill(): Promise<void> {
    for (const type of STAGED_ORDER) {
      const records = this.memory[type];
      if (!records.length) continue;
      const key = `${this.stagePrefix}${type}-${String(this.spilled[type].length).padStart(6, "0")}`;
      await this.env.ARCHIVE.put(key, encodeRecords(records));
      this.spilled[type].push(key);
      this.memory[type] = [];
    }
    this.memoryBytes = 0;
  }

  private async *staged(type: Staged): AsyncGenerator<Record_> {
    for (const key of this.spilled[type]) {
      const obj = await this.env.ARCHIVE.get(key);
      if (!obj) throw new Error(`staged objects ${key} are missing from R2`);
      yield* decodeRecords(new Uint8Array(await obj.arrayBuffer()));
    }
    const records = this.memory[type];
    this.memory[type] = [];
    yield* records;
  }
}

export function encodeRecords(records: Record_[]): Uint8Array {
  const size = records.reduce((n, r) => n + 24 + r.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of records) {
    out.set(fromHex(r.oid), at);
    view.setUint32(at + 20, r.data.length);
    out.set(r.data, at + 24);
    at += 24 + r.data.length;
  }
  return out;
}

export function* decodeRecords(bytes: Uint8Array): Generator<Record_> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 24 > bytes.length) throw new Error("staged objects are truncated");
    const length = view.getUint32(at + 20);
    if (at + 24 + length > bytes.length) throw new Error("staged objects are truncated");
    yield { oid: toHex(bytes.subarray(at, at + 20)), data: bytes.subarray(at + 24, at + 24 + length) };
    at += 24 + length;
  }
}
