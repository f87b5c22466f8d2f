// Contents into the archive: deduplicated by sha1_git against what any origin already archived, bytes appended to
// content packs (content-pack.ts), and their D1 rows written once the pack holding them is complete.

import { archiveContents } from "../../schema";
import { ContentPackWriter, packedForm, type PackedContent } from "./content-pack";
import { knownObjects, type ArchiveEnv } from "./store";
import { insertJsonRows } from "./json-rows";
import { yieldToEventLoop } from "./event-loop";
import type { Content } from "./model";

type ContentRow = typeof archiveContents.$inferInsert;

/** The contents of `items` not archived yet (under any origin), each once. */
export async function freshContents(env: ArchiveEnv, items: Content[]): Promise<Content[]> {
  const known = await knownObjects(
    env,
    items.map((c) => c.sha1_git),
    ["content"],
  );
  return [...new Map(items.filter((c) => !known.has(c.sha1_git)).map((c) => [c.sha1_git, c])).values()];
}

function rowOf(c: Content, at: PackedContent | null, now: number): ContentRow {
  return {
    sha1Git: c.sha1_git,
    sha1: c.sha1,
    sha256: c.sha256,
    blake2s256: c.blake2s256,
    length: c.length,
    status: at ? "visible" : "absent",
    reason: at ? null : (c.reason ?? "skipped"),
    createdAt: now,
    pack: at?.pack ?? null,
    packOffset: at?.offset ?? null,
    packLength: at?.length ?? null,
    compressed: at?.compressed ?? false,
  };
}

/**
 * Contents waiting for their pack: their hashes are held (not their bytes, which are in the writer's part or
 * already in R2) until the pack completes, then their rows are written. Skipped contents get their row at once.
 */
export class ContentRecorder {
  private waiting = new Map<string, Content>();
  added = 0;
  skipped = 0;

  /** Contents whose rows wait for their pack to complete. */
  get waitingRows(): number {
    return this.waiting.size;
  }

  constructor(
    private readonly env: ArchiveEnv,
    readonly writer: ContentPackWriter,
  ) {}

  /** Stores a batch of contents: the fresh ones go into the pack; rows of packs this completed are written. */
  async add(items: Content[]): Promise<void> {
    const fresh = (await freshContents(this.env, items)).filter((c) => !this.waiting.has(c.sha1_git));
    const now = Date.now();
    const skipped = fresh.filter((c) => !c.data).map((c) => rowOf(c, null, now));
    let n = 0;
    for (const c of fresh) {
      if (!c.data) continue;
      if (++n % 16 === 0) await yieldToEventLoop();
      const stored = packedForm(c.data);
      this.waiting.set(c.sha1_git, { ...c, data: undefined });
      const done = await this.writer.append(c.sha1_git, stored.bytes, stored.compressed);
      if (done.length) await this.record(done);
    }
    if (skipped.length) await this.insert(skipped);
    this.skipped += skipped.length;
  }

  /** Completes the open pack and writes the rows of every content in it. */
  async flush(): Promise<void> {
    await this.record(await this.writer.close());
  }

  private async record(done: PackedContent[]): Promise<void> {
    const now = Date.now();
    const rows = done.map((at) => {
      const c = this.waiting.get(at.sha1Git)!;
      this.waiting.delete(at.sha1Git);
      return rowOf(c, at, now);
    });
    await this.insert(rows);
    this.added += rows.length;
  }

  private async insert(rows: ContentRow[]): Promise<void> {
    await insertJsonRows(this.env.DB, archiveContents, rows);
  }
}

/** Stores contents in one go (one pack for them all): bytes first, then rows. Skipped contents (no `data`) get a row only. */
export async function storeContents(
  env: ArchiveEnv,
  items: Content[],
  packPrefix = "content-packs/direct/",
): Promise<{ added: number; skipped: number }> {
  const recorder = new ContentRecorder(env, new ContentPackWriter(env.ARCHIVE, packPrefix));
  await recorder.add(items);
  await recorder.flush();
  return { added: recorder.added, skipped: recorder.skipped };
}
