// Visits in bounded steps, against the loopback git server and the real job engine: a tiny budget (many steps,
// each checkpointed in the JobObject, each a new invocation) archives exactly what the default budget does; a
// budget smaller than one object still progresses; a step redone, a crash mid content pack, a damaged spooled
// pack and two forks racing all end with every row pointing at bytes that are there and nothing stored twice.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { admin, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import {
  expectAllArchived,
  expectedBranches,
  gitObjects,
  gitRefs,
  makeRepo,
  repoName,
  saveNow,
  settled,
  sh,
  visit,
  type TestRepo,
} from "./visit-support";
import { getSnapshot, openContent } from "../../workers/archive/lookup";
import { loadStep, type LoadProgress, type LoadRequest } from "../../workers/archive/loader";
import { packPrefix, StagedPackError } from "../../workers/archive/loader-pack";
import { StepMeter } from "../../workers/archive/step-meter";
import type { ArchiveEnv } from "../../workers/archive/store";

/** ~600 objects, many of them deltas against objects parsed steps earlier; annotated tags for releases. */
const DELTA_REPO = `for i in $(seq 1 40); do head -c 2000 /dev/urandom | base64 > "f$i.txt"; done; mkdir d; echo x > d/y; git add -A; git commit -qm base
for c in $(seq 1 12); do for i in $(seq 1 40 | shuf -n 15 --random-source=<(yes)); do echo "edit $c" >> "f$i.txt"; done; git commit -qam "edit $c"; git tag -a "v$c" -m "release $c"; done
git checkout -qb side HEAD~3 && echo side > side.txt && git add -A && git commit -qm side && git checkout -q main`;

/** A bare copy of `repo` under another name (a fork with the same objects), repacked with deep deltas. */
async function fork(repo: TestRepo, name: string): Promise<TestRepo> {
  const bare = `acme/${name}.git`;
  await sh(`git clone -q --mirror "${repo.bare}" "${bare}" && cd "${bare}" && git repack -adfq --depth=50 --window=50`);
  const url = `${env.GIT_SERVER}/${bare}`;
  return { bare, url, origin: url.replace(/\.git$/, "") };
}

const GIT_TYPE = { blob: "contents", tree: "directories", commit: "revisions", tag: "releases" } as const;

async function gitCounts(bare: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = { contents: 0, directories: 0, revisions: 0, releases: 0 };
  for (const type of (await gitObjects(bare)).values()) counts[GIT_TYPE[type as keyof typeof GIT_TYPE]]! += 1;
  return counts;
}

/** Every visible content row's bytes are in R2 where the row says (pack long enough, or the one object). */
async function expectRowsPointAtBytes(): Promise<void> {
  const rows = await env.DB.prepare(
    "SELECT sha1_git, pack, pack_offset, pack_length FROM archive_contents WHERE status = 'visible'",
  ).all<{
    sha1_git: string;
    pack: string | null;
    pack_offset: number;
    pack_length: number;
  }>();
  const sizes = new Map<string, number>();
  for (const r of rows.results) {
    if (!r.pack) continue;
    if (!sizes.has(r.pack)) sizes.set(r.pack, (await env.ARCHIVE.head(r.pack))?.size ?? -1);
    expect(sizes.get(r.pack), `${r.sha1_git} in ${r.pack}`).toBeGreaterThanOrEqual(r.pack_offset + r.pack_length);
  }
}

async function tips(bare: string): Promise<string[]> {
  return [...new Set((await sh(`git for-each-ref --format='%(objectname)'`, { cwd: bare })).stdout.trim().split("\n"))];
}

describe("a visit in bounded steps", () => {
  let secret: string;
  let base: TestRepo;
  let tiny: Answer;

  beforeAll(async () => {
    secret = await registerForge(new URL(env.GIT_SERVER).host, "github");
    base = await makeRepo(repoName("steps"), DELTA_REPO);
  });

  async function pushVisit(repo: TestRepo, name: string, pipelines: unknown): Promise<Answer> {
    const reg = await json(admin("/api/repos", "POST", { url: repo.origin, pipelines }));
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const html = repo.origin;
    const head = (await sh(`git rev-parse main`, { cwd: repo.bare })).stdout.trim();
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: "0000000000000000000000000000000000000000",
      after: head,
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
    const delivered = await json(deliver({ forge: "github", event: "push", body, secret, delivery: unique("d") }));
    expect(delivered.status).toBe(202);
    return settled(delivered.body.jobs.find((j: Answer) => j.kind === "archive").id, 120_000);
  }

  it("a tiny budget takes many steps, each logged with its objects, subrequests and time", async () => {
    const name = repoName("tiny");
    const repo = await fork(base, name);
    tiny = await pushVisit(repo, name, { archive: { step: { objects: 100 } } });
    expect(tiny.status, JSON.stringify(tiny.log?.slice(-5))).toBe("full");
    const objects = await gitObjects(repo.bare);
    expect(tiny.result.objects).toBe(objects.size);
    expect(tiny.result.steps).toBeGreaterThanOrEqual(Math.ceil(objects.size / 100));
    const lines = tiny.log.map((l: Answer) => l.line as string).filter((m: string) => /^step \d+:/.test(m));
    expect(lines.length).toBe(tiny.result.steps);
    for (const line of lines) {
      const m = /^step \d+: (\d+) objects, (\d+) subrequests \(\d+ R2 writes, \d+ D1 statements\), \d+ ms/.exec(line);
      expect(m, line).not.toBeNull();
      // A step stops at the first clean point past its budget: one content batch or graph batch at most over it.
      expect(Number(m![1]), line).toBeLessThanOrEqual(100 + 400);
    }
    expect(tiny.result.stepTotals.maxSubrequests).toBeLessThan(1000);
    // Between steps the job was deferred and dispatched again: each step a new invocation.
    expect(tiny.log.filter((l: Answer) => /^deferred until/.test(l.line)).length).toBe(tiny.result.steps - 1);
    expect(tiny.result.counts).toMatchObject(await gitCounts(repo.bare));
    await expectAllArchived(objects);
    const snapshot = await getSnapshot(env, tiny.result.snapshot);
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
    // Nothing of the steps is left behind in R2 but the kept pack.
    const prefix = (await packPrefix(repo.origin, tiny.result.visit)).replace(/^packs\//, "staging/");
    expect((await env.ARCHIVE.list({ prefix })).objects).toEqual([]);
    await expectRowsPointAtBytes();
  });

  it("the default budget gives the same ids, counts and snapshot, in one step", async () => {
    const name = repoName("default");
    const repo = await fork(base, name);
    const whole = await visit(repo.url);
    expect(whole.status).toBe("full");
    expect(whole.result.steps).toBe(1);
    expect(whole.result.snapshot).toBe(tiny.result.snapshot);
    expect(whole.result.objects).toBe(tiny.result.objects);
    // Everything was archived already by the other fork: nothing is stored twice.
    expect(whole.result.counts).toMatchObject({ contents: 0 });
    expect(whole.result.stepTotals.r2Writes).toBeLessThan(12);
    await expectAllArchived(await gitObjects(repo.bare));
  });

  it("a budget smaller than one object still progresses, one object per step", async () => {
    const name = repoName("one");
    const repo = await makeRepo(
      name,
      `echo a > a && echo b > b && git add -A && git commit -qm one && git tag -a t -m tag`,
    );
    const job = await pushVisit(repo, name, { archive: { step: { objects: 1, subrequests: 20 } } });
    expect(job.status, JSON.stringify(job.log?.slice(-5))).toBe("full");
    const objects = await gitObjects(repo.bare);
    expect(job.result.objects).toBe(objects.size);
    expect(job.result.steps).toBeGreaterThanOrEqual(objects.size);
    await expectAllArchived(objects);
  });

  it("two forks visited at once store each content once, and both snapshots are complete", async () => {
    const root = await makeRepo(repoName("race"), DELTA_REPO);
    const [a, b] = await Promise.all([fork(root, repoName("race-a")), fork(root, repoName("race-b"))]);
    const [ja, jb] = await Promise.all([saveNow(a.url), saveNow(b.url)]);
    const [va, vb] = await Promise.all([settled(ja, 120_000), settled(jb, 120_000)]);
    expect([va.status, vb.status]).toEqual(["full", "full"]);
    expect(va.result.snapshot).toBe(vb.result.snapshot);
    const objects = await gitObjects(root.bare);
    await expectAllArchived(objects);
    await expectRowsPointAtBytes();
    const blob = [...objects].find(([, t]) => t === "blob")![0];
    const bytes = (await sh(`git cat-file blob ${blob} | base64 -w0`, { cwd: root.bare })).stdout;
    expect(
      btoa(String.fromCharCode(...new Uint8Array(await new Response(await openContent(env, blob)).arrayBuffer()))),
    ).toBe(bytes);
  });
});

describe("steps redone and faults between steps (loadStep against real R2 and D1)", () => {
  let repo: TestRepo;
  let wants: string[];
  const budget = { objects: 150, subrequests: 900, cpuMs: 60_000 };

  beforeAll(async () => {
    repo = await fork(await makeRepo(repoName("faults"), DELTA_REPO), repoName("faults-packed"));
    wants = await tips(repo.bare);
  });

  const request = (visit: number, r = repo, w = wants): LoadRequest => ({
    origin: r.origin,
    cloneUrl: r.url,
    visit,
    wants: w,
    haves: [],
    maxContentBytes: 1 << 30,
  });
  const step = (e: ArchiveEnv, visit: number, p: LoadProgress | null, r = repo, w = wants) => {
    const meter = new StepMeter(budget);
    return loadStep(meter.wrap(e), request(visit, r, w), p, meter).then((progress) => ({ progress, meter }));
  };

  it("a step redone after it committed (its checkpoint lost, or its message redelivered) stores nothing twice", async () => {
    const first = await step(env, 101, null);
    expect(first.progress.phase).toBe("parse");
    const second = await step(env, 101, first.progress);
    const again = await step(env, 101, first.progress);
    expect(again.progress.parsed).toEqual(second.progress.parsed);
    // Its contents were archived by the first run: the redo writes no content pack and no content row.
    expect(again.progress.contentPacks).toBe(first.progress.contentPacks);
    expect(again.progress.counts.contents).toBe(first.progress.counts.contents);
    let p = again.progress;
    while (p.phase !== "done") p = (await step(env, 101, p)).progress;
    expect(p.objects).toBe((await gitObjects(repo.bare)).size);
    await expectAllArchived(await gitObjects(repo.bare));
    await expectRowsPointAtBytes();
  });

  it("steps over a pack spooled in many small chunks (deltas re-read across chunk edges from R2)", async () => {
    const own = await fork(await makeRepo(repoName("chunks"), DELTA_REPO), repoName("chunks-packed"));
    const ownWants = await tips(own.bare);
    const req = {
      ...request(104, own, ownWants),
      budgets: { cacheBytes: 8 * 1024, windowBytes: 8 * 1024, chunkBytes: 16 * 1024, stageBytes: 4 * 1024 },
    };
    let p: LoadProgress | null = null;
    let steps = 0;
    do {
      const meter = new StepMeter(budget);
      p = await loadStep(meter.wrap(env), req, p, meter);
      steps += 1;
    } while (p.phase !== "done");
    expect(steps).toBeGreaterThanOrEqual(3);
    expect(p.pack.chunks).toBeGreaterThan(4);
    expect(p.spillReads).toBeGreaterThan(0);
    await expectAllArchived(await gitObjects(own.bare));
  });

  it("a crash in the middle of a step's content pack: no row points at it; the step redone stores it all", async () => {
    // The real bucket, failing as the step writes its content pack (the step dies mid-pack).
    const failing: ArchiveEnv = {
      DB: env.DB,
      ARCHIVE: new Proxy(env.ARCHIVE, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (prop !== "put" || typeof value !== "function")
            return typeof value === "function" ? value.bind(target) : value;
          return (key: string, ...rest: unknown[]) => {
            if (key.startsWith("content-packs/")) throw new Error("R2 went away mid-pack");
            return value.call(target, key, ...rest);
          };
        },
      }),
    };
    // Contents no other test archived, so that the step has a content pack to write.
    const own = await fork(await makeRepo(repoName("crash"), DELTA_REPO), repoName("crash-packed"));
    const ownWants = await tips(own.bare);
    const first = await step(env, 102, null, own, ownWants);
    await expect(step(failing, 102, first.progress, own, ownWants)).rejects.toThrow(/mid-pack/);
    await expectRowsPointAtBytes();
    let p = first.progress;
    while (p.phase !== "done") p = (await step(env, 102, p, own, ownWants)).progress;
    await expectAllArchived(await gitObjects(own.bare));
    await expectRowsPointAtBytes();
  });

  it("a spooled pack chunk deleted or cut short: the step that needs it as a delta base fails clearly", async () => {
    const first = await step(env, 103, null);
    expect(first.progress.phase).toBe("parse");
    const prefix = await packPrefix(repo.origin, 103);
    const chunk = `${prefix}chunk-000000`;
    const whole = new Uint8Array(await (await env.ARCHIVE.get(chunk))!.arrayBuffer());
    await env.ARCHIVE.put(chunk, whole.subarray(0, 100));
    await expect(step(env, 103, first.progress)).rejects.toThrow(StagedPackError);
    await env.ARCHIVE.delete(chunk);
    await expect(step(env, 103, first.progress)).rejects.toThrow(/chunk-000000 is missing from R2/);
  });
});
