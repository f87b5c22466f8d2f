// The read API through the real Worker, over a repo archived by a real visit (save code now → job → loader):
// a researcher's path from an origin URL to a file's bytes and its SWHID, each step checked against git.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { call, type Answer } from "../support/http";
import { buildVarietyRepo, sh } from "./git-objects";
import { visit } from "./visit-support";
import { parseRepoUrl } from "../../workers/core/repo-url";

const BASE = "https://forgeline.test";
let bare: string;
let url: string;
let head: string;

async function get(path: string) {
  const res = await call(path);
  const type = res.headers.get("Content-Type") ?? "";
  const body = type.includes("json") ? await res.json<Answer>() : new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body: body as Answer, link: res.headers.get("Link") };
}

async function git(cmd: string): Promise<string> {
  return (await sh(cmd, { cwd: bare })).stdout.trim();
}

beforeAll(async () => {
  const built = await buildVarietyRepo("e2e-variety");
  head = built.head;
  bare = `acme-core/e2e-variety-${Date.now().toString(36)}.git`;
  await sh(`mkdir -p acme-core && git clone -q --mirror ${built.dir} ${bare}`);
  url = `${env.GIT_SERVER}/${bare}`;
  const job = await visit(url);
  expect(job.status, JSON.stringify(job).slice(0, 2000)).toBe("full");
});

describe("reading an archived origin through /api/1", () => {
  it("goes from the origin URL to its latest snapshot, HEAD's revision, a file's bytes and back to its SWHID", async () => {
    // Origins are archived under the repo's canonical URL; the clone URL (with .git) finds them too.
    const canonical = parseRepoUrl(url).url;
    for (const asked of [url, canonical]) {
      const origin = await get(`/api/1/origin/${asked}/get/`);
      expect(origin.status, asked).toBe(200);
      expect(origin.body.url).toBe(canonical);
    }

    const visits = await get(`/api/1/origin/${url}/visits/`);
    expect(visits.body).toHaveLength(1);
    expect(visits.body[0]).toMatchObject({ visit: 1, status: "full", type: "git" });

    const latest = await get(`/api/1/origin/${url}/visit/latest/?require_snapshot=true`);
    const snapshot = latest.body.snapshot as string;
    const snp = await get(`/api/1/snapshot/${snapshot}/`);
    expect(snp.body.branches.HEAD).toEqual({
      target: "refs/heads/main",
      target_type: "alias",
      target_url: `${BASE}/api/1/revision/${head}/`,
    });
    const refs = (await git("git for-each-ref --format='%(refname) %(objectname)'"))
      .split("\n")
      .map((l) => l.split(" "));
    for (const [name, oid] of refs) expect(snp.body.branches[name!]?.target, name).toBe(oid);

    const rev = await get(`/api/1/revision/${head}/`);
    expect(rev.body.directory).toBe(await git("git rev-parse HEAD^{tree}"));
    const file = await get(`/api/1/directory/${rev.body.directory}/src/deep/file.txt/`);
    expect(file.body.target).toBe(await git("git rev-parse HEAD:src/deep/file.txt"));
    const raw = await get(`/api/1/content/sha1_git:${file.body.target}/raw/`);
    expect(new TextDecoder().decode(raw.body)).toBe((await git("git cat-file blob HEAD:src/deep/file.txt")) + "\n");

    const swhid = `swh:1:cnt:${file.body.target};origin=${url};visit=swh:1:snp:${snapshot};anchor=swh:1:rev:${head};path=/src/deep/file.txt`;
    const resolved = await get(`/api/1/resolve/${swhid}/`);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ object_type: "content", object_id: file.body.target, swhid });

    const log = await get(`/api/1/revision/${head}/log/?per_page=50`);
    expect(log.body.map((r: Answer) => r.id).sort()).toEqual((await git("git rev-list HEAD")).split("\n").sort());
  });

  it("answers errors in SWH's JSON shape through the Worker too", async () => {
    const bad = await get(`/api/1/resolve/swh:1:cnt:nothex/`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ exception: "BadInputExc" });
    const unknown = await get(`/api/1/revision/${"f".repeat(40)}/`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ exception: "NotFoundExc" });
  });
});
