// The archive store against real D1 and R2: objects of a repo built with the git CLI are stored, read back and
// checked against git's own ids and bytes; writes are idempotent and batched; snapshots and visits keep their
// contracts (nothing visible that references what is not stored; final visit statuses never change).

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { allObjects, buildVarietyRepo, convertAll, sh, type Converted, type GitObject } from "./git-objects";
import {
  knownObjects,
  MissingObjectsError,
  openVisit,
  setVisitStatus,
  storeDirectories,
  storeReleases,
  storeRevisions,
  storeSnapshot,
  contentKey,
  MAX_DIRECTORY_ROW_BYTES,
} from "../../workers/archive/store";
import { storeContents } from "../../workers/archive/content-store";
import {
  openContent,
  getContent,
  getDirectoryRaw,
  getRelease,
  getRevisions,
  getSnapshot,
  lastSnapshot,
  listVisits,
  snapshotBranches,
} from "../../workers/archive/lookup";
import { toHex } from "../../workers/core/bytes";
import { objectId as gitObjectId } from "../../workers/git/sha1";
import {
  compareBytes,
  directoryManifest,
  releaseManifest,
  revisionManifest,
  snapshotId,
} from "../../workers/archive/manifest";
import { contentFromBlob } from "../../workers/archive/convert";
import type { Branch, DirectoryEntry } from "../../workers/archive/model";

let objects: GitObject[];
let converted: Converted;
let head: string;
let dir: string;

async function storeAll(c: Converted) {
  await storeContents(env, c.contents);
  await storeDirectories(env, c.directories);
  await storeRevisions(env, c.revisions);
  await storeReleases(env, c.releases);
}

async function count(table: string): Promise<number> {
  return (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
}

/** The repo's refs as a snapshot, HEAD an alias, tags by their own ids. */
async function refsSnapshot(): Promise<Record<string, Branch>> {
  const out = await sh("git for-each-ref --format='%(refname) %(objectname) %(objecttype)'", { cwd: dir });
  const branches: Record<string, Branch> = { HEAD: { target: "refs/heads/main", targetType: "alias" } };
  const types = { commit: "revision", tag: "release", tree: "directory", blob: "content" } as const;
  for (const line of out.stdout.trim().split("\n")) {
    const [name, oid, type] = line.split(" ") as [string, string, keyof typeof types];
    branches[name] = { target: oid, targetType: types[type] };
  }
  return branches;
}

beforeAll(async () => {
  ({ dir, head } = await buildVarietyRepo("store-variety"));
  objects = await allObjects(dir);
  converted = await convertAll(objects);
  await storeAll(converted);
});

describe("storing a real repo's objects", () => {
  it("stores every object once, under git's own id", async () => {
    const byType = (t: string) => objects.filter((o) => o.type === t).length;
    expect(await count("archive_contents")).toBe(byType("blob"));
    expect(await count("archive_directories")).toBe(byType("tree"));
    expect(await count("archive_revisions")).toBe(byType("commit"));
    expect(await count("archive_releases")).toBe(byType("tag"));
    const known = await knownObjects(
      env,
      objects.map((o) => o.oid),
    );
    expect(known.size).toBe(objects.length);
  });

  it("keeps each content's bytes in R2 and its checksums as sha1sum and sha256sum compute them", async () => {
    for (const o of objects.filter((o) => o.type === "blob")) {
      const stored = await getContent(env, "sha1_git", o.oid);
      expect(stored).toMatchObject({ sha1_git: o.oid, length: o.data.length, status: "visible" });
      expect(new Uint8Array(await new Response(await openContent(env, o.oid)).arrayBuffer())).toEqual(o.data);
      const sums = (
        await sh(`git cat-file blob ${o.oid} | sha1sum; git cat-file blob ${o.oid} | sha256sum`, { cwd: dir })
      ).stdout.split("\n");
      expect(stored!.sha1).toBe(sums[0]!.split(" ")[0]);
      expect(stored!.sha256).toBe(sums[1]!.split(" ")[0]);
      expect(await getContent(env, "sha256", stored!.sha256)).toEqual(stored);
      expect(await getContent(env, "blake2s256", stored!.blake2s256)).toEqual(stored);
    }
  });

  it("keeps directories byte for byte (symlink, executable, gitlink, non-UTF-8 name) so their ids verify", async () => {
    for (const o of objects.filter((o) => o.type === "tree")) {
      const raw = await getDirectoryRaw(env, o.oid);
      expect(gitObjectId("tree", raw!)).toBe(o.oid);
    }
    const root = (await sh("git rev-parse HEAD^{tree}", { cwd: dir })).stdout.trim();
    const listing = (await sh("git ls-tree -r HEAD", { cwd: dir })).stdout;
    expect(listing).toMatch(/^160000 commit 1{40}\tvendor\/lib$/m);
    expect(listing).toMatch(/^120000 blob [0-9a-f]{40}\tlink$/m);
    expect(listing).toMatch(/^100755 blob [0-9a-f]{40}\trun.sh$/m);
    expect(toHex((await getDirectoryRaw(env, root))!)).toBe(toHex(objects.find((o) => o.oid === root)!.data));
  });

  it("stores revisions and releases whose fields (or raw manifest) hash back to git's ids", async () => {
    const revs = await getRevisions(
      env,
      converted.revisions.map((r) => r.id),
    );
    expect(revs.size).toBe(converted.revisions.length);
    for (const r of revs.values()) {
      const body = r.rawManifest ?? revisionManifest(r);
      expect(gitObjectId("commit", body), r.id).toBe(r.id);
    }
    const latin = [...revs.values()].find((r) => r.id === head)!;
    expect(latin.rawManifest).not.toBeNull();
    expect(latin.extraHeaders.map(([k]) => k)).toEqual(["gpgsig", "encoding"]);
    expect(latin.date.offsetBytes).toBe("-0000");
    expect(latin.message).toBe("café latin-1\n"); // decoded by its `encoding ISO-8859-1` header, as git log shows it
    const merge = [...revs.values()].find((r) => r.message === "merge side\n")!;
    expect(merge.parents).toHaveLength(2);
    for (const t of converted.releases) {
      const rel = (await getRelease(env, t.id))!;
      expect(gitObjectId("tag", rel.rawManifest ?? releaseManifest(rel))).toBe(t.id);
    }
    const types = new Set(converted.releases.map((r) => r.targetType));
    expect(types).toEqual(new Set(["revision", "content", "directory"]));
  });

  it("is idempotent: storing everything again adds nothing and changes nothing", async () => {
    const before = await Promise.all(
      ["archive_contents", "archive_directories", "archive_revisions", "archive_releases"].map(count),
    );
    const again = await storeContents(env, converted.contents);
    expect(again).toEqual({ added: 0, skipped: 0 });
    await storeAll(converted);
    expect(
      await Promise.all(
        ["archive_contents", "archive_directories", "archive_revisions", "archive_releases"].map(count),
      ),
    ).toEqual(before);
  });
});

describe("batching past D1's 100-parameter limit", () => {
  it("stores 600 contents and answers knownObjects for 1,000 ids in batches", async () => {
    const items = await Promise.all(
      Array.from({ length: 600 }, (_, i) => contentFromBlob(new TextEncoder().encode(`bulk content ${i}\n`))),
    );
    expect(await storeContents(env, items)).toEqual({ added: 600, skipped: 0 });
    const strangers = Array.from({ length: 400 }, (_, i) =>
      gitObjectId("blob", new TextEncoder().encode(`never stored ${i}`)),
    );
    const known = await knownObjects(env, [...items.map((c) => c.sha1_git), ...strangers]);
    expect(known.size).toBe(600);
    expect(strangers.some((s) => known.has(s))).toBe(false);
  });

  it("puts a tree body too large for a D1 row in R2, and reads it back", async () => {
    const entries: DirectoryEntry[] = Array.from({ length: 14_000 }, (_, i) => ({
      name: new TextEncoder().encode(`file-${String(i).padStart(6, "0")}.txt`),
      type: "file",
      perms: 0o100644,
      target: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    }));
    const raw = directoryManifest(entries);
    expect(raw.length).toBeGreaterThan(MAX_DIRECTORY_ROW_BYTES);
    const id = gitObjectId("tree", raw);
    await storeDirectories(env, [{ id, raw }]);
    expect(toHex((await getDirectoryRaw(env, id))!)).toBe(toHex(raw));
    expect(await env.ARCHIVE.head(`directory/${id}`)).not.toBeNull();
  });

  it("keeps a content over the size limit as a skipped content: hashes and reason, no bytes", async () => {
    const data = new TextEncoder().encode("x".repeat(2048));
    const big = await contentFromBlob(data, 1024);
    expect(big.data).toBeUndefined();
    expect(await storeContents(env, [big])).toEqual({ added: 0, skipped: 1 });
    expect(await getContent(env, "sha1_git", big.sha1_git)).toMatchObject({
      status: "absent",
      length: 2048,
      reason: expect.stringMatching(/too large/),
    });
    expect(await env.ARCHIVE.head(contentKey(big.sha1_git))).toBeNull();
  });
});

describe("objects too large for a D1 row", () => {
  it("keeps a commit and a tag with 1.5 MB messages whole in R2, and reads them back as git has them", async () => {
    const big = "big";
    await sh(`rm -rf ${big} && git init -q -b main ${big} && cd ${big}
{ head -c 1500000 /dev/zero | tr '\\0' 'm'; echo; } > ../msg.txt
git commit -q --allow-empty -F ../msg.txt && git tag -a huge -F ../msg.txt`);
    const c = await convertAll(await allObjects(big));
    expect(c.revisions[0]!.message!.length).toBe(1_500_001);
    await storeRevisions(env, c.revisions);
    await storeReleases(env, c.releases);
    const rev = (await getRevisions(env, [c.revisions[0]!.id])).get(c.revisions[0]!.id)!;
    expect(rev.message).toBe(c.revisions[0]!.message);
    expect(gitObjectId("commit", rev.rawManifest ?? revisionManifest(rev))).toBe(rev.id);
    const rel = (await getRelease(env, c.releases[0]!.id))!;
    expect(rel.message).toBe(c.releases[0]!.message);
    expect(gitObjectId("tag", rel.rawManifest ?? releaseManifest(rel))).toBe(rel.id);
    const row = await env.DB.prepare(
      "SELECT length(message) AS n, manifest_in_r2 AS inR2 FROM archive_revisions WHERE id = ?",
    )
      .bind(rev.id)
      .first<{ n: number; inR2: number }>();
    expect(row).toEqual({ n: 16 * 1024, inR2: 1 });
    expect(await env.ARCHIVE.head(`revision/${rev.id}`)).not.toBeNull();
    expect(await env.ARCHIVE.head(`release/${rel.id}`)).not.toBeNull();
  });
});

describe("snapshots", () => {
  it("stores a snapshot of the repo's refs (HEAD alias, tags on blobs and trees) and pages its branches by name", async () => {
    const branches = await refsSnapshot();
    branches["refs/heads/gone"] = null;
    const id = snapshotId(branches);
    expect(await storeSnapshot(env, { id, branches })).toEqual({ added: true });
    expect(await storeSnapshot(env, { id, branches })).toEqual({ added: false });
    expect(await getSnapshot(env, id)).toEqual({ id, branches });
    const names = Object.keys(branches).sort();
    const first = await snapshotBranches(env, id, { count: 3 });
    expect(first!.branches.map(([n]) => n)).toEqual(names.slice(0, 3));
    expect(first!.nextBranch).toBe(names[3]);
    const rest = await snapshotBranches(env, id, { from: first!.nextBranch!, count: 100 });
    expect(rest!.branches.map(([n]) => n)).toEqual(names.slice(3));
    expect(rest!.nextBranch).toBeNull();
  });

  it("refuses a snapshot that references objects not stored, and leaves nothing visible", async () => {
    const missing = "0123456789012345678901234567890123456789";
    const branches: Record<string, Branch> = {
      "refs/heads/main": { target: head, targetType: "revision" },
      "refs/heads/x": { target: missing, targetType: "revision" },
    };
    const id = snapshotId(branches);
    const err = await storeSnapshot(env, { id, branches }).catch((e) => e);
    expect(err).toBeInstanceOf(MissingObjectsError);
    expect(err.missing).toEqual([missing]);
    expect(await getSnapshot(env, id)).toBeNull();
    expect(await knownObjects(env, [id], ["snapshot"])).toEqual(new Set());
  });

  it("stores a snapshot of 3,000 branches (non-ASCII names too) in batches, and pages all of it back in byte order", async () => {
    const branches: Record<string, Branch> = { HEAD: { target: "refs/heads/b-0000", targetType: "alias" } };
    for (let i = 0; i < 3000; i++)
      branches[`refs/heads/b-${String(i).padStart(4, "0")}${i % 500 === 0 ? "-é" : ""}`] = {
        target: head,
        targetType: "revision",
      };
    const id = snapshotId(branches);
    await storeSnapshot(env, { id, branches });
    const names: string[] = [];
    let from: string | undefined;
    for (;;) {
      const page = (await snapshotBranches(env, id, { from, count: 1000 }))!;
      names.push(...page.branches.map(([n]) => n));
      if (!page.nextBranch) break;
      from = page.nextBranch;
    }
    expect(names).toHaveLength(3001);
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const byBytes = [...names].sort((a, b) => compareBytes(utf8(a), utf8(b)));
    expect(names).toEqual(byBytes);
    expect(snapshotId((await getSnapshot(env, id))!.branches)).toBe(id);
  });

  it("refuses a snapshot whose id does not match its branches", async () => {
    const branches: Record<string, Branch> = { "refs/heads/main": { target: head, targetType: "revision" } };
    await expect(storeSnapshot(env, { id: "1".repeat(40), branches })).rejects.toThrow(/does not match/);
  });
});

describe("origins and visits", () => {
  const url = "https://git.example.org/store/visits.git";

  it("numbers visits per origin, gives a retried job its own visit back, and keeps final statuses final", async () => {
    const first = await openVisit(env, url, { jobId: "job-a" });
    expect(first.visit).toMatchObject({ visit: 1, status: "created", snapshot: null, origin: url });
    expect((await openVisit(env, url, { jobId: "job-a" })).visit.visit).toBe(1);
    const second = await openVisit(env, url, { jobId: "job-b" });
    expect(second.visit.visit).toBe(2);
    expect((await openVisit(env, "https://git.example.org/other.git")).visit.visit).toBe(1);

    const branches = await refsSnapshot();
    const snapshot = snapshotId(branches);
    await storeSnapshot(env, { id: snapshot, branches });
    expect((await setVisitStatus(env, url, 1, "ongoing"))!.status).toBe("ongoing");
    expect(await setVisitStatus(env, url, 1, "partial", { snapshot })).toMatchObject({ status: "partial", snapshot });
    expect(await setVisitStatus(env, url, 1, "full")).toMatchObject({ status: "partial" });
    expect(await setVisitStatus(env, url, 2, "failed", { error: "stream cut" })).toMatchObject({
      status: "failed",
      error: "stream cut",
      snapshot: null,
    });
    expect(await setVisitStatus(env, url, 9, "full")).toBeNull();
    await expect(setVisitStatus(env, url, 3, "full", { snapshot: "2".repeat(40) })).rejects.toBeInstanceOf(
      MissingObjectsError,
    );

    expect((await lastSnapshot(env, url))?.id).toBe(snapshot);
    expect((await listVisits(env, url, { limit: 10 })).map((v) => v.visit)).toEqual([2, 1]);
    expect(await lastSnapshot(env, "https://git.example.org/never-visited.git")).toBeNull();
  });
});
