// Visits end to end against real git: save code now → job → loader → archive, then an unchanged re-visit
// (no pack), an incremental one (only new objects), a webhook-planned one, and skipped contents. Every id
// archived is checked against what git itself reports for the same repo.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { call, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import { admin } from "../support/http";
import { getSnapshot, getRevision, getContent, openContent } from "../../workers/archive/lookup";
import { getVisit } from "../../workers/archive/lookup";
import { loadPack } from "../../workers/archive/loader";
import { packPrefix } from "../../workers/archive/loader-pack";
import {
  change,
  expectAllArchived,
  expectedBranches,
  gitObjects,
  gitRefs,
  makeRepo,
  repoName,
  settled,
  sh,
  visit,
  base64Of,
  type TestRepo,
} from "./visit-support";

const RICH_REPO = `
printf 'hello\\n' > a.txt
mkdir -p dir/sub && printf 'nested' > dir/sub/b.txt
git add -A && GIT_AUTHOR_DATE='1500000000 +0530' GIT_COMMITTER_DATE='1500000100 -0000' git commit -q -m "first"
printf 'more\\n' >> a.txt && git commit -qam "second

with a body"
git branch feature
git tag v1
git tag -a v2 -m "release two"
`;

describe("visits of one origin", () => {
  let repo: TestRepo;
  let name: string;
  let first: Answer;

  beforeAll(async () => {
    name = repoName("visits");
    repo = await makeRepo(name, RICH_REPO);
  });

  it("archives every object of a first visit, with ids equal to git's, and a snapshot of every ref", async () => {
    first = await visit(repo.url);
    expect(first.status, JSON.stringify(first.log)).toBe("full");
    expect(first.transitions.map((t: Answer) => t.to)).toEqual(["created", "ongoing", "full"]);
    const result = first.result;
    expect(result).toMatchObject({
      result: "eventful",
      status: "full",
      origin: repo.origin,
      visit: 1,
      packFetched: true,
    });
    const objects = await gitObjects(repo.bare);
    expect(result.objects).toBe(objects.size);
    await expectAllArchived(objects);

    const snapshot = await getSnapshot(env, result.snapshot);
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
    expect(snapshot!.branches["HEAD"]).toEqual({ target: "refs/heads/main", targetType: "alias" });

    const v = await getVisit(env, repo.origin, 1);
    expect(v).toMatchObject({ status: "full", snapshot: result.snapshot });

    // Fields as git wrote them, raw timezone included.
    const firstCommit = (await sh(`git rev-list --max-parents=0 main`, { cwd: repo.bare })).stdout.trim();
    const raw = (await sh(`git cat-file commit ${firstCommit}`, { cwd: repo.bare })).stdout;
    const committerTz = /^committer .* (\d+) (\S+)$/m.exec(raw)!;
    const rev = await getRevision(env, firstCommit);
    expect(rev).toMatchObject({
      id: firstCommit,
      date: { seconds: 1500000000, offsetBytes: "+0530" },
      committerDate: { seconds: Number(committerTz[1]), offsetBytes: committerTz[2] },
      message: "first\n",
    });
    // Content bytes in R2 and checksums equal to the tools' own.
    const blob = (await sh(`git rev-parse main:a.txt`, { cwd: repo.bare })).stdout.trim();
    const sums = (
      await sh(`git cat-file blob ${blob} | sha1sum; git cat-file blob ${blob} | sha256sum`, { cwd: repo.bare })
    ).stdout;
    const [sha1, sha256] = sums.split("\n").map((l) => l.split(" ")[0]);
    expect(await getContent(env, "sha1_git", blob)).toMatchObject({ sha1, sha256, length: 11, status: "visible" });
    expect(await new Response(await openContent(env, blob)).text()).toBe("hello\nmore\n");
  });

  it("an unchanged re-visit lists refs only: no pack, same snapshot, uneventful", async () => {
    const again = await visit(repo.url);
    expect(again.status).toBe("full");
    expect(again.result).toMatchObject({
      result: "uneventful",
      visit: 2,
      packFetched: false,
      objects: 0,
      snapshot: first.result.snapshot,
    });
    expect(await getVisit(env, repo.origin, 2)).toMatchObject({ status: "full", snapshot: first.result.snapshot });
  });

  it("after new commits, a branch deleted and a tag added, fetches only the new objects", async () => {
    const before = await gitRefs(repo.bare);
    await change(
      name,
      `for i in 1 2 3; do printf "line $i\\n" >> c.txt; git add c.txt; git commit -qm "more $i"; done
git branch -D feature
git tag -a v3 -m "three"`,
    );
    const tips = [...before.refs.values()].map((r) => r.oid).join(" ");
    const fresh = (await sh(`git rev-list --objects --all --not ${tips} | wc -l`, { cwd: repo.bare })).stdout.trim();
    const third = await visit(repo.url);
    expect(third.status, JSON.stringify(third.log)).toBe("full");
    expect(third.result).toMatchObject({ result: "eventful", visit: 3, packFetched: true });
    expect(third.result.objects).toBe(Number(fresh));
    await expectAllArchived(await gitObjects(repo.bare));
    const snapshot = await getSnapshot(env, third.result.snapshot);
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
    expect(snapshot!.branches["refs/heads/feature"]).toBeUndefined();
  });

  it("lists the origin's visit requests, newest first, with task and visit status", async () => {
    const res = await json(call(`/api/1/origin/save/git/url/${repo.url}/`));
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expect(res.body[0]).toMatchObject({
      origin_url: repo.origin,
      visit_type: "git",
      save_task_status: "succeeded",
      visit_status: "full",
      visit_number: 3,
    });
    expect(res.body[2].snapshot_swhid).toBe(`swh:1:snp:${first.result.snapshot}`);
  });
});

describe("visits planned by webhooks", () => {
  const PORT_HOST = () => new URL(env.GIT_SERVER).host;
  let secret: string;

  beforeAll(async () => {
    secret = await registerForge(PORT_HOST(), "github");
  });

  function pushBody(name: string, after: string) {
    const html = `${env.GIT_SERVER}/acme/${name}`;
    return JSON.stringify({
      ref: "refs/heads/main",
      before: "0000000000000000000000000000000000000000",
      after,
      repository: {
        html_url: html,
        clone_url: `${html}.git`,
        full_name: `acme/${name}`,
        name,
        owner: { login: "acme" },
      },
      pusher: { name: "alice" },
      commits: [],
    });
  }

  it("a push to a repo with the archive enabled visits it; contents over the repo's limit are skipped with their hashes", async () => {
    const name = repoName("hooked");
    const repo = await makeRepo(
      name,
      `printf 'small' > s.txt && head -c 5000 /dev/zero | tr '\\0' 'x' > big.txt && git add -A && git commit -qm one`,
    );
    const reg = await json(
      admin("/api/repos", "POST", { url: repo.origin, pipelines: { archive: { maxContentBytes: 1000 } } }),
    );
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const head = (await sh(`git rev-parse main`, { cwd: repo.bare })).stdout.trim();
    const delivered = await json(
      deliver({ forge: "github", event: "push", body: pushBody(name, head), secret, delivery: unique("d") }),
    );
    expect(delivered.status).toBe(202);
    const job = delivered.body.jobs.find((j: Answer) => j.kind === "archive");
    expect(job).toBeDefined();
    const done = await settled(job.id);
    expect(done.status, JSON.stringify(done.log)).toBe("full");
    expect(done.result).toMatchObject({ result: "eventful", origin: repo.origin });
    await expectAllArchived(await gitObjects(repo.bare));

    const big = (await sh(`git rev-parse main:big.txt`, { cwd: repo.bare })).stdout.trim();
    const sha256 = (await sh(`git cat-file blob ${big} | sha256sum`, { cwd: repo.bare })).stdout.split(" ")[0];
    expect(await getContent(env, "sha1_git", big)).toMatchObject({ status: "absent", length: 5000, sha256 });
    expect((await getContent(env, "sha1_git", big))!.reason).toMatch(/too large/);
    expect(await env.ARCHIVE.head(`content/${big}`)).toBeNull();
    const small = (await sh(`git rev-parse main:s.txt`, { cwd: repo.bare })).stdout.trim();
    expect(await getContent(env, "sha1_git", small)).toMatchObject({ status: "visible", length: 5 });
  });

  it("a ping plans nothing; the archive config is validated", async () => {
    const bad = await json(
      admin("/api/repos", "POST", {
        url: `${env.GIT_SERVER}/acme/${repoName("cfg")}`,
        pipelines: { archive: { maxContentBytes: -1 } },
      }),
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/maxContentBytes/);
  });
});

describe("save code now: bad input", () => {
  it("refuses without the admin token, a non-http URL, and a malformed path, changing nothing", async () => {
    const url = `${env.GIT_SERVER}/acme/${repoName("noauth")}.git`;
    expect((await call(`/api/1/origin/save/git/url/${url}/`, { method: "POST" })).status).toBe(401);
    const ftp = await json(admin(`/api/1/origin/save/git/url/ftp://example.org/x.git/`, "POST"));
    expect(ftp.status).toBe(400);
    const empty = await json(admin(`/api/1/origin/save/git/url/`, "POST"));
    expect(empty.status).toBe(400);
    const listed = await json(call(`/api/1/origin/save/git/url/${url}/`));
    expect(listed.body).toEqual([]);
  });
});

describe("a pack far larger than the memory a load may use", () => {
  it("spools the pack in chunks, re-reads evicted bases from R2, stages trees/commits in R2, and stores it all", async () => {
    const name = repoName("bounded");
    // Files that change a little per commit: git deltifies them against each other.
    const repo = await makeRepo(
      name,
      `for i in $(seq 1 60); do head -c 3000 /dev/urandom | base64 > "f$i.txt"; done; git add -A; git commit -qm base
for c in $(seq 1 15); do for i in $(seq 1 60 | shuf -n 20 --random-source=<(yes)); do echo "edit $c" >> "f$i.txt"; done; git commit -qam "edit $c"; done`,
    );
    await sh(`git repack -adfq --depth=50 --window=50`, { cwd: repo.bare });
    const tips = (await sh(`git for-each-ref --format='%(objectname)'`, { cwd: repo.bare })).stdout.trim().split("\n");
    const KiB = 1024;
    const result = await loadPack(env, {
      origin: repo.origin,
      cloneUrl: repo.url,
      visit: 1,
      wants: [...new Set(tips)],
      haves: [],
      maxContentBytes: 1 << 30,
      budgets: { cacheBytes: 8 * KiB, windowBytes: 8 * KiB, chunkBytes: 16 * KiB, stageBytes: 4 * KiB },
    });
    const objects = await gitObjects(repo.bare);
    expect(result.objects).toBe(objects.size);
    expect(result.spillReads).toBeGreaterThan(0);
    expect(result.chunks).toBeGreaterThan(4);
    await expectAllArchived(objects);
    // Staged objects are gone from R2 once stored.
    const prefix = await packPrefix(repo.origin, 1);
    expect((await env.ARCHIVE.list({ prefix: prefix.replace(/^packs\//, "staging/") })).objects).toEqual([]);
    // The pack kept in R2 is the pack git sent, byte for byte: git indexes it to the same .idx we wrote.
    const parts: Uint8Array[] = [];
    for (let i = 0; i < result.chunks; i++)
      parts.push(
        new Uint8Array(await (await env.ARCHIVE.get(`${prefix}chunk-${String(i).padStart(6, "0")}`))!.arrayBuffer()),
      );
    const pack = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (pack.set(p, at), at + p.length), 0);
    expect(pack.length).toBe(result.bytes);
    const idx = new Uint8Array(await (await env.ARCHIVE.get(`${prefix}pack.idx`))!.arrayBuffer());
    const gitIdx = await sh(
      `cat > p-${name}.pack && git index-pack p-${name}.pack >/dev/null && cat p-${name}.idx; rm -f p-${name}.*`,
      { stdin: pack, binary: true, cwd: repo.bare },
    );
    expect(base64Of(idx)).toBe(gitIdx.stdoutBase64);
  });
});

describe("a re-visit whose new refs point at archived objects", () => {
  it("needs nothing from the pack for them (a tag on an old commit, a tag on a tree)", async () => {
    const name = repoName("old-targets");
    const repo = await makeRepo(name, RICH_REPO);
    expect((await visit(repo.url)).status).toBe("full");
    await change(
      name,
      `git tag light HEAD~1
git tag tree-tag "HEAD^{tree}"`,
    );
    const again = await visit(repo.url);
    expect(again.status, JSON.stringify(again.log)).toBe("full");
    expect(again.result).toMatchObject({ result: "eventful", visit: 2 });
    const snapshot = await getSnapshot(env, again.result.snapshot);
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
    expect(snapshot!.branches["refs/tags/tree-tag"]).toMatchObject({ targetType: "directory" });
  });
});
