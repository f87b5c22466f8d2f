// The SWH-compatible read API over a repo built with the git CLI and archived through the store: every answer is
// checked against what git itself reports for the same repo; bad ids answer 400, unknown ones 404, as JSON.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { archiveApi } from "../../workers/archive/api";
import type { Env } from "../../workers/env";
import { allObjects, buildVarietyRepo, convertAll, sh } from "./git-objects";
import { storeContents } from "../../workers/archive/content-store";
import {
  openVisit,
  setVisitStatus,
  storeDirectories,
  storeReleases,
  storeRevisions,
  storeSnapshot,
} from "../../workers/archive/store";
import { contentFromBlob } from "../../workers/archive/convert";
import { snapshotId } from "../../workers/archive/manifest";
import { originId } from "../../workers/archive/hashes";
import type { Branch } from "../../workers/archive/model";
import type { Answer } from "../support/http";

const app = new Hono<{ Bindings: Env }>().route("/api/1", archiveApi);
const BASE = "https://forgeline.test";

async function get(path: string) {
  const res = await app.request(`${BASE}${path}`, {}, env);
  if (res.headers.get("Content-Type") === "application/octet-stream")
    return {
      status: res.status,
      body: new Uint8Array(await res.arrayBuffer()) as Answer,
      link: res.headers.get("Link"),
      headers: res.headers,
    };
  const text = await res.text();
  let body: Answer = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, link: res.headers.get("Link"), headers: res.headers };
}

/** The path of a Link rel=next header, to follow it. */
function nextPath(link: string | null): string | null {
  const m = /^<([^>]+)>; rel="next"$/.exec(link ?? "");
  return m ? m[1]!.slice(BASE.length) : null;
}

async function git(cmd: string): Promise<string> {
  return (await sh(cmd, { cwd: dir })).stdout.trim();
}

const ORIGIN = "https://git.example.org/api/variety.git";
let dir: string;
let head: string;
let snapshot: string;
let branches: Record<string, Branch>;
let skippedSha1Git: string;

beforeAll(async () => {
  ({ dir, head } = await buildVarietyRepo("api-variety"));
  const c = await convertAll(await allObjects(dir));
  await storeContents(env, c.contents);
  await storeDirectories(env, c.directories);
  await storeRevisions(env, c.revisions);
  await storeReleases(env, c.releases);
  const types = { commit: "revision", tag: "release", tree: "directory", blob: "content" } as const;
  branches = { HEAD: { target: "refs/heads/main", targetType: "alias" }, "refs/heads/gone": null };
  for (const line of (await git("git for-each-ref --format='%(refname) %(objectname) %(objecttype)'")).split("\n")) {
    const [name, oid, type] = line.split(" ") as [string, string, keyof typeof types];
    branches[name] = { target: oid, targetType: types[type] };
  }
  snapshot = snapshotId(branches);
  await storeSnapshot(env, { id: snapshot, branches });
  // Visit 1 and 2 full with the snapshot, visit 3 failed without one, visit 4 still ongoing.
  for (let i = 1; i <= 4; i++) {
    const { visit } = await openVisit(env, ORIGIN, { jobId: `api-job-${i}`, date: Date.UTC(2026, 0, i) });
    if (i <= 2) await setVisitStatus(env, ORIGIN, visit.visit, "full", { snapshot });
    if (i === 3) await setVisitStatus(env, ORIGIN, visit.visit, "failed", { error: "forge down" });
    if (i === 4) await setVisitStatus(env, ORIGIN, visit.visit, "ongoing");
  }
  const skipped = await contentFromBlob(new TextEncoder().encode("too big for this test's limit\n"), 8);
  await storeContents(env, [skipped]);
  skippedSha1Git = skipped.sha1_git;
});

describe("origins and visits", () => {
  it("gets an origin by its URL, as is or percent-encoded", async () => {
    const plain = await get(`/api/1/origin/${ORIGIN}/get/`);
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({
      url: ORIGIN,
      id: originId(ORIGIN),
      origin_visits_url: `${BASE}/api/1/origin/${ORIGIN}/visits/`,
    });
    expect((await get(`/api/1/origin/${encodeURIComponent(ORIGIN)}/get/`)).body.url).toBe(ORIGIN);
  });

  it("answers 404 for an unknown origin and 400 for something that is not a URL, in SWH's error shape", async () => {
    const unknown = await get(`/api/1/origin/https://git.example.org/nope.git/get/`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      exception: "NotFoundExc",
      reason: expect.stringContaining("nope.git"),
      error: { code: "not_found" },
    });
    const bad = await get(`/api/1/origin/not-a-url/get/`);
    expect(bad.status).toBe(400);
    expect(bad.body.exception).toBe("BadInputExc");
    expect((await get(`/api/1/origin/${ORIGIN}/frobnicate/`)).status).toBe(404);
  });

  it("lists visits newest first, per_page at a time, with Link headers down to the first", async () => {
    const first = await get(`/api/1/origin/${ORIGIN}/visits/?per_page=3`);
    expect(first.body.map((v: Answer) => v.visit)).toEqual([4, 3, 2]);
    expect(first.body[1]).toMatchObject({
      origin: ORIGIN,
      status: "failed",
      snapshot: null,
      type: "git",
      snapshot_url: null,
      date: "2026-01-03T00:00:00.000000+00:00",
    });
    expect(first.body[2]).toMatchObject({
      status: "full",
      snapshot,
      snapshot_url: `${BASE}/api/1/snapshot/${snapshot}/`,
    });
    const second = await get(nextPath(first.link)!);
    expect(second.body.map((v: Answer) => v.visit)).toEqual([1]);
    expect(second.link).toBeNull();
    expect((await get(`/api/1/origin/${ORIGIN}/visits/?last_visit=3`)).body.map((v: Answer) => v.visit)).toEqual([
      2, 1,
    ]);
    for (const q of ["per_page=0", "per_page=abc", "per_page=100000", "last_visit=-1"])
      expect((await get(`/api/1/origin/${ORIGIN}/visits/?${q}`)).status, q).toBe(400);
  });

  it("gets the latest visit, or the latest with a snapshot, and a visit by number", async () => {
    expect((await get(`/api/1/origin/${ORIGIN}/visit/latest/`)).body).toMatchObject({ visit: 4, status: "ongoing" });
    expect((await get(`/api/1/origin/${ORIGIN}/visit/latest/?require_snapshot=true`)).body).toMatchObject({
      visit: 2,
      snapshot,
    });
    expect((await get(`/api/1/origin/${ORIGIN}/visit/3/`)).body).toMatchObject({
      visit: 3,
      status: "failed",
      error: "forge down",
    });
    expect((await get(`/api/1/origin/${ORIGIN}/visit/99/`)).status).toBe(404);
    expect((await get(`/api/1/origin/${ORIGIN}/visit/latest/?require_snapshot=maybe`)).status).toBe(400);
  });
});

describe("snapshots", () => {
  it("lists every branch with SWH's target types and URLs: HEAD an alias to main's revision, a dangling branch null", async () => {
    const { status, body } = await get(`/api/1/snapshot/${snapshot}/`);
    expect(status).toBe(200);
    expect(body.id).toBe(snapshot);
    expect(body.next_branch).toBeNull();
    expect(Object.keys(body.branches).sort()).toEqual(Object.keys(branches).sort());
    expect(body.branches.HEAD).toEqual({
      target: "refs/heads/main",
      target_type: "alias",
      target_url: `${BASE}/api/1/revision/${head}/`,
    });
    expect(body.branches["refs/heads/gone"]).toBeNull();
    expect(body.branches["refs/heads/main"]).toEqual({
      target: head,
      target_type: "revision",
      target_url: `${BASE}/api/1/revision/${head}/`,
    });
    expect(body.branches["refs/tags/v1.0"]).toMatchObject({
      target: await git("git rev-parse refs/tags/v1.0"),
      target_type: "release",
    });
    expect(body.branches["refs/tags/light"]).toMatchObject({
      target: await git("git rev-parse HEAD~1"),
      target_type: "revision",
    });
  });

  it("pages branches by name with branches_from/branches_count and a Link header; filters target_types", async () => {
    const names = Object.keys(branches).sort();
    const seen: string[] = [];
    let path: string | null = `/api/1/snapshot/${snapshot}/?branches_count=2`;
    while (path) {
      const page = await get(path);
      expect(Object.keys(page.body.branches).length).toBeLessThanOrEqual(2);
      seen.push(...Object.keys(page.body.branches));
      path = nextPath(page.link);
      if (path) expect(new URL(BASE + path).searchParams.get("branches_from")).toBe(page.body.next_branch);
    }
    expect(seen).toEqual(names);
    const releases = await get(`/api/1/snapshot/${snapshot}/?target_types=release`);
    expect(Object.keys(releases.body.branches).sort()).toEqual([
      "refs/tags/blobtag",
      "refs/tags/treetag",
      "refs/tags/v1.0",
    ]);
  });

  it("answers 400 for malformed ids and parameters, 404 for an unknown snapshot", async () => {
    expect((await get(`/api/1/snapshot/xyz/`)).status).toBe(400);
    expect((await get(`/api/1/snapshot/${snapshot.toUpperCase()}/`)).status).toBe(400);
    expect((await get(`/api/1/snapshot/${snapshot}/?branches_count=0`)).status).toBe(400);
    expect((await get(`/api/1/snapshot/${snapshot}/?target_types=tree`)).status).toBe(400);
    const unknown = await get(`/api/1/snapshot/${"a".repeat(40)}/`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.exception).toBe("NotFoundExc");
  });
});

describe("revisions and releases", () => {
  it("shows a revision as git does: people, ISO dates with their offsets, parents, directory, merge flag", async () => {
    const first = await git("git rev-list --max-parents=0 HEAD");
    const { body } = await get(`/api/1/revision/${first}/`);
    expect(body).toMatchObject({
      id: first,
      type: "git",
      directory: await git(`git rev-parse ${first}^{tree}`),
      message: "first\n",
      date: await git(`git log -1 --format=%aI ${first}`),
      committer_date: await git(`git log -1 --format=%cI ${first}`),
      author: {
        fullname: await git(`git log -1 --format='%an <%ae>' ${first}`),
        name: await git(`git log -1 --format=%an ${first}`),
        email: await git(`git log -1 --format=%ae ${first}`),
      },
      parents: [],
      merge: false,
      url: `${BASE}/api/1/revision/${first}/`,
    });
    const merge = await git("git rev-list --merges -1 HEAD");
    const m = (await get(`/api/1/revision/${merge}/`)).body;
    expect(m.merge).toBe(true);
    expect(m.parents.map((p: Answer) => p.id)).toEqual((await git(`git rev-parse ${merge}^@`)).split("\n"));
    const signed = (await get(`/api/1/revision/${head}/`)).body;
    expect(signed.extra_headers.map(([k]: [string]) => k)).toEqual(["gpgsig", "encoding"]);
    expect(signed.date).toMatch(/\+00:00$/);
  });

  it("walks the log breadth-first over every reachable revision, paged with Link headers", async () => {
    const ids: string[] = [];
    let path: string | null = `/api/1/revision/${head}/log/?per_page=2`;
    while (path) {
      const page = await get(path);
      expect(page.status).toBe(200);
      ids.push(...page.body.map((r: Answer) => r.id));
      path = nextPath(page.link);
    }
    // Breadth-first over parents in order, from git's own parent lists.
    const parents = new Map(
      (await git("git rev-list --parents HEAD")).split("\n").map((l) => [l.split(" ")[0]!, l.split(" ").slice(1)]),
    );
    const bfs: string[] = [head];
    for (let i = 0; i < bfs.length; i++) for (const p of parents.get(bfs[i]!)!) if (!bfs.includes(p)) bfs.push(p);
    expect(ids).toEqual(bfs);
    expect(bfs).toHaveLength(parents.size);
    expect((await get(`/api/1/revision/${head}/log/?per_page=51`)).status).toBe(400);
  });

  it("shows releases on a revision, a blob and a tree", async () => {
    const v1 = await git("git rev-parse refs/tags/v1.0");
    const { body } = await get(`/api/1/release/${v1}/`);
    expect(body).toMatchObject({
      id: v1,
      name: "v1.0",
      message: "release 1.0\n",
      target: head,
      target_type: "revision",
      target_url: `${BASE}/api/1/revision/${head}/`,
    });
    expect(body.date).toBe(await git("git for-each-ref --format='%(taggerdate:iso-strict)' refs/tags/v1.0"));
    const blobtag = (await get(`/api/1/release/${await git("git rev-parse refs/tags/blobtag")}/`)).body;
    expect(blobtag).toMatchObject({
      target_type: "content",
      target_url: `${BASE}/api/1/content/sha1_git:${await git("git rev-parse HEAD:README")}/`,
    });
    const treetag = (await get(`/api/1/release/${await git("git rev-parse refs/tags/treetag")}/`)).body;
    expect(treetag).toMatchObject({ target_type: "directory", target: await git("git rev-parse HEAD^{tree}") });
  });

  it("lets found objects be cached for good, but not misses, logs or origins; any page may read", async () => {
    const found = await get(`/api/1/revision/${head}/`);
    expect(found.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(found.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect((await get(`/api/1/revision/${"b".repeat(40)}/`)).headers.get("Cache-Control")).toBeNull();
    expect((await get(`/api/1/revision/${head}/log/`)).headers.get("Cache-Control")).toBeNull();
    expect((await get(`/api/1/origin/${ORIGIN}/visits/`)).headers.get("Cache-Control")).toBeNull();
    expect((await get(`/api/1/resolve/nonsense/`)).headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("answers the same without the trailing slash", async () => {
    expect((await get(`/api/1/revision/${head}`)).body.id).toBe(head);
    expect((await get(`/api/1/snapshot/${snapshot}`)).body.id).toBe(snapshot);
  });

  it("answers 400 for malformed revision and release ids and 404 for unknown ones", async () => {
    for (const kind of ["revision", "release"]) {
      expect((await get(`/api/1/${kind}/1234/`)).status).toBe(400);
      expect((await get(`/api/1/${kind}/${"b".repeat(40)}/`)).status).toBe(404);
    }
    expect((await get(`/api/1/revision/${"b".repeat(40)}/log/`)).status).toBe(404);
  });
});

describe("directories and contents", () => {
  it("lists a directory like git ls-tree -l: names, perms, types, targets, file lengths", async () => {
    const root = await git("git rev-parse HEAD^{tree}");
    const { body } = await get(`/api/1/directory/${root}/`);
    const lsTree = (await git("git -c core.quotePath=false ls-tree -l HEAD")).split("\n").map((line) => {
      const [meta, name] = line.split("\t") as [string, string];
      const [mode, , target, size] = meta.split(/\s+/) as [string, string, string, string];
      return { name, perms: parseInt(mode, 8), target, length: size === "-" ? null : Number(size) };
    });
    const ours = body.map((e: Answer) => ({ name: e.name, perms: e.perms, target: e.target, length: e.length }));
    expect(ours).toEqual(lsTree.map((e) => (e.name.includes("caf") ? { ...e, name: "caf\\xe9.txt" } : e)));
    expect(body.find((e: Answer) => e.name === "link")).toMatchObject({
      type: "file",
      perms: 0o120000,
      target_url: expect.stringContaining("/content/sha1_git:"),
    });
    expect(body.find((e: Answer) => e.name === "src")).toMatchObject({
      type: "dir",
      dir_id: root,
      target_url: expect.stringContaining("/directory/"),
    });
    expect(body.find((e: Answer) => e.name === "vendor")).toMatchObject({ type: "dir" });
  });

  it("finds entries by path, including a non-UTF-8 name and a submodule", async () => {
    const root = await git("git rev-parse HEAD^{tree}");
    const deep = await get(`/api/1/directory/${root}/src/deep/file.txt/`);
    expect(deep.body).toMatchObject({
      name: "src/deep/file.txt",
      type: "file",
      target: await git("git rev-parse HEAD:src/deep/file.txt"),
      dir_id: await git("git rev-parse HEAD:src/deep"),
      length: 5,
    });
    expect((await get(`/api/1/directory/${root}/caf%E9.txt/`)).body).toMatchObject({ type: "file", length: 6 });
    expect((await get(`/api/1/directory/${root}/vendor/lib/`)).body).toMatchObject({
      type: "rev",
      perms: 0o160000,
      target: "1".repeat(40),
      target_url: null,
    });
    expect((await get(`/api/1/directory/${root}/src/`)).body).toMatchObject({
      type: "dir",
      target: await git("git rev-parse HEAD:src"),
    });
    expect((await get(`/api/1/directory/${root}/nope/`)).status).toBe(404);
    expect((await get(`/api/1/directory/${root}/README/inside/`)).status).toBe(404);
    // (`..` never gets here: URL parsing folds it away; an empty segment does.)
    expect((await get(`/api/1/directory/${root}/src//deep/`)).status).toBe(400);
    expect((await get(`/api/1/directory/${root}/${"a/".repeat(300)}`)).status).toBe(400);
    expect((await get(`/api/1/directory/not-an-id/`)).status).toBe(400);
    expect((await get(`/api/1/directory/${"c".repeat(40)}/`)).status).toBe(404);
  });

  it("browses a revision's directory: the root listing, a sub-directory, a file's data, a submodule", async () => {
    const root = await get(`/api/1/revision/${head}/directory/`);
    expect(root.body).toMatchObject({ revision: head, path: ".", type: "dir" });
    expect(root.body.content.map((e: Answer) => e.name)).toContain("README");
    const sub = await get(`/api/1/revision/${head}/directory/src/deep/`);
    expect(sub.body).toMatchObject({ path: "src/deep", type: "dir" });
    expect(sub.body.content.map((e: Answer) => e.target)).toEqual([await git("git rev-parse HEAD:src/deep/file.txt")]);
    const file = await get(`/api/1/revision/${head}/directory/src/deep/file.txt/`);
    expect(file.body).toMatchObject({
      type: "file",
      content: { length: 5, checksums: { sha1_git: await git("git rev-parse HEAD:src/deep/file.txt") } },
    });
    expect((await get(`/api/1/revision/${head}/directory/vendor/lib/`)).body).toMatchObject({
      type: "rev",
      content: { id: "1".repeat(40) },
    });
    expect((await get(`/api/1/revision/${head}/directory/missing/`)).status).toBe(404);
    expect((await get(`/api/1/revision/${"b".repeat(40)}/directory/`)).status).toBe(404);
    expect((await get(`/api/1/revision/nothex/directory/`)).status).toBe(400);
  });

  it("shows a content by any of its checksums, and serves its raw bytes as git has them", async () => {
    const blob = await git("git rev-parse HEAD:run.sh");
    const one = (await get(`/api/1/content/sha1_git:${blob}/`)).body;
    expect(one).toMatchObject({
      length: Number(await git(`git cat-file -s ${blob}`)),
      status: "visible",
      data_url: `${BASE}/api/1/content/sha1_git:${blob}/raw/`,
    });
    expect(one.checksums.sha1).toBe((await git(`git cat-file blob ${blob} | sha1sum`)).split(" ")[0]);
    expect(one.checksums.sha256).toBe((await git(`git cat-file blob ${blob} | sha256sum`)).split(" ")[0]);
    for (const q of [
      `sha1:${one.checksums.sha1}`,
      one.checksums.sha1,
      `sha256:${one.checksums.sha256}`,
      `blake2s256:${one.checksums.blake2s256}`,
    ])
      expect((await get(`/api/1/content/${q}/`)).body, q).toEqual(one);
    const raw = await get(`/api/1/content/sha1_git:${blob}/raw/`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get("Content-Type")).toBe("application/octet-stream");
    const bytes = (await sh(`git cat-file blob ${blob}`, { cwd: dir, binary: true })).stdoutBase64!;
    expect(raw.body).toEqual(Uint8Array.from(atob(bytes), (ch) => ch.charCodeAt(0)));
  });

  it("shows a skipped content's checksums but refuses its bytes; 400 for bad checksums, 404 for unknown ones", async () => {
    const skipped = await get(`/api/1/content/sha1_git:${skippedSha1Git}/`);
    expect(skipped.body).toMatchObject({ status: "absent", reason: expect.stringMatching(/too large/) });
    expect((await get(`/api/1/content/sha1_git:${skippedSha1Git}/raw/`)).status).toBe(404);
    for (const q of ["md5:" + "a".repeat(32), "sha1:abc", "sha256:" + "a".repeat(40), "sha1_git:" + "G".repeat(40)])
      expect((await get(`/api/1/content/${q}/`)).status, q).toBe(400);
    expect((await get(`/api/1/content/sha1_git:${"d".repeat(40)}/`)).status).toBe(404);
    expect((await get(`/api/1/content/sha1_git:${"d".repeat(40)}/raw/`)).status).toBe(404);
  });
});

describe("resolving SWHIDs", () => {
  it("resolves every archived object type, qualifiers included, plain or percent-encoded", async () => {
    const cases: [string, string, string][] = [
      ["cnt", await git("git rev-parse HEAD:README"), "content"],
      ["dir", await git("git rev-parse HEAD^{tree}"), "directory"],
      ["rev", head, "revision"],
      ["rel", await git("git rev-parse refs/tags/v1.0"), "release"],
      ["snp", snapshot, "snapshot"],
      ["ori", originId(ORIGIN), "origin"],
    ];
    for (const [type, id, objectType] of cases) {
      const { status, body } = await get(`/api/1/resolve/swh:1:${type}:${id}/`);
      expect(status, type).toBe(200);
      expect(body).toMatchObject({ namespace: "swh", scheme_version: 1, object_type: objectType, object_id: id });
    }
    const qualified = `swh:1:cnt:${cases[0]![1]};origin=${ORIGIN};visit=swh:1:snp:${snapshot};anchor=swh:1:rev:${head};path=/README;lines=1-2`;
    for (const path of [qualified, encodeURIComponent(qualified)]) {
      const { status, body } = await get(`/api/1/resolve/${path}/`);
      expect(status).toBe(200);
      expect(body.swhid).toBe(qualified);
      // SWH gives the qualifiers under `metadata`.
      expect(body.metadata).toEqual({
        origin: ORIGIN,
        visit: `swh:1:snp:${snapshot}`,
        anchor: `swh:1:rev:${head}`,
        path: "/README",
        lines: "1-2",
      });
      expect(body.qualifiers).toEqual(body.metadata);
      expect(body.api_url).toBe(`${BASE}/api/1/content/sha1_git:${cases[0]![1]}/`);
    }
  });

  it("tells which of many SWHIDs are archived (POST /known/), and refuses malformed lists", async () => {
    const post = (body: unknown) =>
      app.request(
        `${BASE}/api/1/known/`,
        { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) },
        env,
      );
    const stored = [
      `swh:1:rev:${head}`,
      `swh:1:snp:${snapshot}`,
      `swh:1:cnt:${await git("git rev-parse HEAD:README")}`,
      `swh:1:ori:${originId(ORIGIN)}`,
    ];
    const strangers = Array.from({ length: 150 }, (_, i) => `swh:1:dir:${i.toString(16).padStart(40, "0")}`);
    const res = await post([...stored, ...strangers]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, { known: boolean }>;
    for (const s of stored) expect(body[s], s).toEqual({ known: true });
    for (const s of strangers) expect(body[s]).toEqual({ known: false });
    expect((await post(["swh:1:rev:nothex"])).status).toBe(400);
    expect((await post({ not: "a list" })).status).toBe(400);
    expect((await post(Array(1001).fill(stored[0]))).status).toBe(400);
  });

  it("answers 400 for malformed SWHIDs and 404 for ones not archived", async () => {
    for (const bad of [
      "swh:1:cnt:123",
      "swh:2:cnt:" + "a".repeat(40),
      "swh:1:xyz:" + "a".repeat(40),
      `swh:1:cnt:${"a".repeat(40)};lines=0`,
      `swh:1:cnt:${"a".repeat(40)};bogus=1`,
      "hello",
    ]) {
      const { status, body } = await get(`/api/1/resolve/${bad}/`);
      expect(status, bad).toBe(400);
      expect(body.exception).toBe("BadInputExc");
    }
    const unknown = await get(`/api/1/resolve/swh:1:rev:${"e".repeat(40)}/`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.reason).toContain("not found");
  });
});
