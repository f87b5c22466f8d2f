// Content packs against real R2 and D1: contents land in few large objects (multipart past one part), are read
// back by one range through the raw endpoint, dedupe across origins, survive a crash mid-pack without a row
// pointing at missing bytes, and a damaged pack answers a clear 5xx; contents stored one per object still read.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { call, json } from "../support/http";
import { storeContents, ContentRecorder } from "../../workers/archive/content-store";
import { ContentPackWriter, packedForm, unpacked } from "../../workers/archive/content-pack";
import { contentFromBlob } from "../../workers/archive/convert";
import { contentKey } from "../../workers/archive/store";
import { toHex } from "../../workers/core/bytes";

const MiB = 1024 * 1024;
let n = 0;
const unique = (what: string) => `${what}-${Date.now().toString(36)}-${++n}`;

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}

async function contentRow(sha1Git: string) {
  return env.DB.prepare(
    "SELECT pack, pack_offset AS offset, pack_length AS length, compressed FROM archive_contents WHERE sha1_git = ?1",
  )
    .bind(sha1Git)
    .first<{ pack: string | null; offset: number | null; length: number | null; compressed: number }>();
}

async function raw(sha1Git: string): Promise<{ status: number; bytes: Uint8Array; text: string }> {
  const res = await call(`/api/1/content/sha1_git:${sha1Git}/raw/`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, bytes, text: new TextDecoder().decode(bytes.subarray(0, 2000)) };
}

describe("content packs", () => {
  it("stores many contents in one pack, multipart past one part, and the raw endpoint reads each by its range", async () => {
    const texts = Array.from({ length: 50 }, (_, i) =>
      new TextEncoder().encode(`${unique("text")} ${"line of text\n".repeat(i * 40)}`),
    );
    const blobs = [randomBytes(3 * MiB), randomBytes(4 * MiB), ...texts];
    const items = await Promise.all(blobs.map((b) => contentFromBlob(b)));
    const prefix = `content-packs/${unique("t")}/`;
    const recorder = new ContentRecorder(env, new ContentPackWriter(env.ARCHIVE, prefix, 5 * MiB));
    await recorder.add(items);
    await recorder.flush();
    expect(recorder.added).toBe(items.length);
    // One pack, written as create + 2 parts + complete: 4 writes for 52 contents.
    expect(recorder.writer.packs).toBe(1);
    expect(recorder.writer.writes).toBe(4);
    const listed = await env.ARCHIVE.list({ prefix });
    expect(listed.objects.length).toBe(1);
    const rows = await Promise.all(items.map((c) => contentRow(c.sha1_git)));
    expect(new Set(rows.map((r) => r!.pack))).toEqual(new Set([listed.objects[0]!.key]));
    // Text compresses (and is stored so), random bytes do not.
    expect(rows[0]!.compressed).toBe(0);
    expect(rows.at(-1)!.compressed).toBe(1);
    expect(rows.at(-1)!.length).toBeLessThan(items.at(-1)!.length);
    for (const [i, c] of items.entries()) {
      const got = await raw(c.sha1_git);
      expect(got.status).toBe(200);
      expect(toHex(await digest(got.bytes))).toBe(toHex(await digest(blobs[i]!)));
    }
  });

  it("a content already archived (from any origin) is not written again: no pack, no write", async () => {
    const items = await Promise.all(
      Array.from({ length: 20 }, (_, i) => contentFromBlob(new TextEncoder().encode(unique(`dedup ${i}`)))),
    );
    expect(await storeContents(env, items, `content-packs/${unique("origin-a")}/`)).toEqual({ added: 20, skipped: 0 });
    const second = new ContentRecorder(env, new ContentPackWriter(env.ARCHIVE, `content-packs/${unique("origin-b")}/`));
    await second.add(items);
    await second.flush();
    expect(second.added).toBe(0);
    expect(second.writer.writes).toBe(0);
  });

  it("a crash in the middle of a pack leaves no row pointing at it; the redone step stores the contents whole", async () => {
    const items = await Promise.all(
      [randomBytes(6 * MiB), new TextEncoder().encode(unique("small after the part"))].map((b) => contentFromBlob(b)),
    );
    const crashed = new ContentRecorder(
      env,
      new ContentPackWriter(env.ARCHIVE, `content-packs/${unique("crash")}/`, 5 * MiB),
    );
    await crashed.add(items);
    // The first part is in R2 (a multipart upload open), the pack is not complete: the step dies here.
    expect(crashed.writer.writes).toBe(2);
    for (const c of items) expect(await contentRow(c.sha1_git)).toBeNull();
    expect((await raw(items[1]!.sha1_git)).status).toBe(404);
    expect(await storeContents(env, items, `content-packs/${unique("redo")}/`)).toEqual({ added: 2, skipped: 0 });
    expect(toHex(await digest((await raw(items[0]!.sha1_git)).bytes))).toBe(toHex(await digest(items[0]!.data!)));
  });

  it("a pack deleted or cut short in R2: the raw endpoint answers 500 with a clear error", async () => {
    const [a, b] = await Promise.all(
      [unique("deleted pack"), unique("truncated pack")].map((t) => contentFromBlob(new TextEncoder().encode(t))),
    );
    await storeContents(env, [a!], `content-packs/${unique("del")}/`);
    await storeContents(env, [b!], `content-packs/${unique("cut")}/`);
    const rowA = (await contentRow(a!.sha1_git))!;
    await env.ARCHIVE.delete(rowA.pack!);
    const gone = await json(call(`/api/1/content/sha1_git:${a!.sha1_git}/raw/`));
    expect(gone.status).toBe(500);
    expect(gone.body.error).toMatchObject({
      code: "content_bytes_missing",
      message: expect.stringContaining("missing from R2"),
    });
    const rowB = (await contentRow(b!.sha1_git))!;
    const whole = new Uint8Array(await (await env.ARCHIVE.get(rowB.pack!))!.arrayBuffer());
    await env.ARCHIVE.put(rowB.pack!, whole.subarray(0, whole.length - 3));
    const cut = await json(call(`/api/1/content/sha1_git:${b!.sha1_git}/raw/`));
    expect(cut.status).toBe(500);
    expect(cut.body.error.message).toMatch(/truncated/);
  });

  it("contents stored one object each (before packs) are still read", async () => {
    const old = await contentFromBlob(new TextEncoder().encode(unique("archived before content packs")));
    await env.ARCHIVE.put(contentKey(old.sha1_git), old.data!);
    await env.DB.prepare(
      "INSERT INTO archive_contents (sha1_git, sha1, sha256, blake2s256, length, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'visible', ?6)",
    )
      .bind(old.sha1_git, old.sha1, old.sha256, old.blake2s256, old.length, Date.now())
      .run();
    const got = await raw(old.sha1_git);
    expect(got.status).toBe(200);
    expect(got.text).toBe(new TextDecoder().decode(old.data!));
  });

  it("the stored form round-trips, compressed only when it saves", () => {
    const text = new TextEncoder().encode("abc ".repeat(1000));
    const packed = packedForm(text);
    expect(packed.compressed).toBe(true);
    expect(unpacked(packed.bytes, true)).toEqual(text);
    expect(packedForm(new TextEncoder().encode("short")).compressed).toBe(false);
  });
});

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
