// Takes a pack's objects as they are parsed: contents go into content packs as they come (hashed once, in
// batches, deduplicated against the archive), while trees, commits and tags wait in a stage to be stored in the
// archive's order once the pack is through (loader-graph.ts). The stage is in memory up to a byte budget and in
// R2 beyond it, and always in R2 at the end of a step, so that the next step (another invocation) finds it there.
//
// R2 keys (bucket ARCHIVE): staging/<origin key>/<visit>/<tree|commit|tag>-<n>: staged objects, records of
// [20-byte id][u32 big-endian length][body]; deleted once stored.

import type { ObjectType, PackedObject } from "../git";
import { contentFromBlob } from "./convert";
import { fromHex, toHex } from "../core/bytes";
import type { ArchiveEnv } from "./store";
import { ContentRecorder } from "./content-store";
import { ContentPackWriter } from "./content-pack";
import type { Content } from "./model";
import { yieldToEventLoop } from "./event-loop";

/** Blobs hashed and checked against the archive per batch: at most this many… */
const CONTENT_BATCH_OBJECTS = 400;
/** …and about this many bytes. */
const CONTENT_BATCH_BYTES = 4 * 1024 * 1024;
/** Staged bodies kept in memory before they go to R2. */
export const STAGE_MEMORY_BYTES = 12 * 1024 * 1024;

export type Staged = "tree" | "commit" | "tag";
export const STAGED_ORDER: Staged[] = ["tree", "commit", "tag"];
/** R2 keys of the staged objects, by type, in the order they were staged. */
export type StagedKeys = Record<Staged, string[]>;

export interface LoadCounts {
  [key: string]: number;
  contents: number;
  skippedContents: number;
  directories: number;
  revisions: number;
  releases: number;
}

export const noCounts = (): LoadCounts => ({
  contents: 0,
  skippedContents: 0,
  directories: 0,
  revisions: 0,
  releases: 0,
});

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
    const shown = missing
      .slice(0, 3)
      .map((m) => `${m.from} → ${m.to}`)
      .join(", ");
    super(
      `the pack is incomplete: ${missing.length} referenced object(s) are neither in it nor in the archive (${shown}${missing.length > 3 ? ", …" : ""})`,
    );
    this.name = "IncompletePackError";
  }
}

export interface StagedRecord {
  oid: string;
  data: Uint8Array;
}

export class ObjectSink {
  /** Milliseconds spent hashing contents and waiting on their stores (for the visit's log). */
  readonly timings = { hash: 0, contents: 0 };
  private blobs: PackedObject[] = [];
  private blobBytes = 0;
  /** The batch of contents being stored while the next one fills. */
  private inFlight: Promise<void> | null = null;
  private memory: Record<Staged, StagedRecord[]> = { tree: [], commit: [], tag: [] };
  private memoryBytes = 0;
  private readonly spilled: StagedKeys;
  private readonly recorder: ContentRecorder;

  constructor(
    private readonly env: ArchiveEnv,
    private readonly stagePrefix: string,
    private readonly maxContentBytes: number,
    contentPrefix: string,
    staged: StagedKeys = { tree: [], commit: [], tag: [] },
    private readonly stageBudget = STAGE_MEMORY_BYTES,
  ) {
    this.spilled = { tree: [...staged.tree], commit: [...staged.commit], tag: [...staged.tag] };
    this.recorder = new ContentRecorder(env, new ContentPackWriter(env.ARCHIVE, contentPrefix));
  }

  /** Contents stored and skipped so far by this sink, and the content packs it completed. */
  get stored(): { contents: number; skippedContents: number; packs: number } {
    return { contents: this.recorder.added, skippedContents: this.recorder.skipped, packs: this.recorder.writer.packs };
  }

  /** Subrequests the end of the step may still need (the open pack's rows, the stage): kept out of the budget. */
  get reserve(): number {
    return 16 + Math.ceil((this.recorder.waitingRows + this.blobs.length) / 1000);
  }

  async add(obj: PackedObject): Promise<void> {
    if (obj.type === "blob") {
      this.blobs.push(obj);
      this.blobBytes += obj.data.length;
      if (this.blobs.length >= CONTENT_BATCH_OBJECTS || this.blobBytes >= CONTENT_BATCH_BYTES)
        await this.flushContents();
      return;
    }
    this.memory[obj.type].push({ oid: obj.oid, data: obj.data });
    this.memoryBytes += obj.data.length + 24;
    if (this.memoryBytes > this.stageBudget) await this.spill();
  }

  /**
   * Ends the step: the last contents stored, the open content pack completed and its rows written, and the
   * stage moved to R2. Answers the stage's keys, for the checkpoint.
   */
  async endStep(): Promise<StagedKeys> {
    const at = Date.now();
    await this.flushContents();
    await this.inFlight;
    this.inFlight = null;
    await this.recorder.flush();
    await this.spill();
    this.timings.contents += Date.now() - at;
    return this.spilled;
  }

  /** Gives up: the open content pack is aborted (its rows were never written). */
  async abort(): Promise<void> {
    this.memory = { tree: [], commit: [], tag: [] };
    this.memoryBytes = 0;
    await this.recorder.writer.abort();
  }

  private async flushContents(): Promise<void> {
    const batch = this.blobs;
    this.blobs = [];
    this.blobBytes = 0;
    // One batch is stored while the next is parsed: at most two batches of bytes are held.
    await this.inFlight;
    this.inFlight = null;
    if (!batch.length) return;
    const hashing = Date.now();
    const contents: Content[] = [];
    for (const [i, obj] of batch.entries()) {
      contents.push(await contentFromBlob(obj.data, this.maxContentBytes, obj.oid));
      // Hashing is synchronous: let other requests in between a few contents (the isolate serves the API too).
      if (i % 16 === 15) await yieldToEventLoop();
    }
    this.timings.hash += Date.now() - hashing;
    this.inFlight = this.recorder.add(contents);
    // Surface a failed store at the next await rather than as an unhandled rejection.
    this.inFlight.catch(() => {});
  }

  /** Moves every staged body from memory to R2, one object per type. */
  private async spill(): Promise<void> {
    for (const type of STAGED_ORDER) {
      const records = this.memory[type];
      if (!records.length) continue;
      // The n-th key of a type is always the same records: a step redone after a crash rewrites it as it was.
      const key = `${this.stagePrefix}${type}-${String(this.spilled[type].length).padStart(6, "0")}`;
      await this.env.ARCHIVE.put(key, encodeRecords(records));
      this.spilled[type].push(key);
      this.memory[type] = [];
    }
    this.memoryBytes = 0;
  }
}

export function encodeRecords(records: StagedRecord[]): Uint8Array {
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

export function* decodeRecords(bytes: Uint8Array): Generator<StagedRecord> {
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
