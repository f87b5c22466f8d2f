// The whole path against real git: producer (ls-refs → fetch → stage → tar → gzip → age → multipart) and
// consumer (download → decrypt → untar → push, forced, under the destination forge's token); the object
// checked with the real age, tar and git; a hand-made object (git clone, tar czf, age -r) applied; faults.

import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import worker from "../../workers/index";
import { admin, call, eventually, json, type Answer } from "../support/http";
import { registerForge } from "../support/webhooks";
import { decodeKey, encodeKey } from "../../workers/mirror/keys";
import { reconcileConsumer, reconcileProducer } from "../../workers/mirror/reconcile";
import { IDENTITY, RECIPIENT, run, unique } from "./support";

const menv = env;
const TOKEN = "mirror-dest-token";
const authed = (path: string, token = TOKEN) => `${env.GIT_SERVER}/_auth/x-access-token:${token}/${path}`;

beforeAll(async () => {
  await registerForge(new URL(env.GIT_SERVER).host, "gitea", { token: TOKEN });
});

/** A source repo with history on `main`, and an empty bare destination. */
async function repos(extraSource = "") {
  const name = unique("m");
  const out = await run(
    `git init -q --bare src/${name}.git && git init -q --bare dst/${name}.git && git clone -q src/${name}.git w/${name} 2>/dev/null && cd w/${name} && ` +
      `for i in 1 2 3; do seq 1 $((i * 500)) > file$i && mkdir -p d$i && echo $i > d$i/x && git add . && git commit -q -m "commit $i"; done && ${extraSource || "true"} && ` +
      `git push -q origin HEAD:main && git rev-parse HEAD`,
  );
  return { name, commit: out.stdout.trim() };
}

async function createMirror(name: string, opts: { destUrl?: string; destBranch?: string; sourceUrl?: string } = {}) {
  const res = await json(
    admin("/api/mirrors", "POST", {
      source: { url: opts.sourceUrl ?? `${env.GIT_SERVER}/src/${name}.git`, branch: "main" },
      destination: {
        url: opts.destUrl ?? authed(`dst/${name}.git`),
        group: "dst",
        project: name,
        branch: opts.destBranch ?? "mirrored/main",
      },
    }),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { mirror: { id: string }; jobs: { id: string }[] };
}

async function jobsOf(kind: string, match: (input: Answer) => boolean) {
  const res = await json(call(`/api/jobs?kind=${kind}&limit=500`));
  const out = [];
  for (const j of res.body.jobs as { id: string }[]) {
    const full = (await json(call(`/api/jobs/${j.id}`))).body.job;
    if (match(full.input)) out.push(full);
  }
  return out;
}

async function settled(kind: string, match: (input: Answer) => boolean, what: string) {
  return eventually(async () => (await jobsOf(kind, match)).find((j) => j.phase === "settled"), 45_000, what);
}

const mirrorOf = async (id: string) => (await json(call(`/api/mirrors/${id}`))).body.mirror;
const keyOf = (name: string, commit: string, remote = "mirrored/main") =>
  encodeKey({ group: "dst", project_name: name, commit_sha: commit, local_branch: "main", remote_branch: remote });

describe("mirror flow", () => {
  it("produces an object the real age, tar and git accept, and the consumer pushes it to a differently named branch", async () => {
    const { name, commit } = await repos();
    const { mirror } = await createMirror(name);
    const produced = await settled("mirror-produce", (i) => i.sourceUrl.endsWith(`/src/${name}`), "produce job");
    expect(produced.status, produced.error).toBe("done");
    const key = keyOf(name, commit);
    expect(produced.result.uploaded).toEqual([key]);
    expect(decodeKey(key)).toEqual({
      group: "dst",
      project_name: name,
      commit_sha: commit,
      local_branch: "main",
      remote_branch: "mirrored/main",
    });

    // The object, opened by the real tools.
    const object = await env.SYNC.get(key);
    const bytes = new Uint8Array(await object!.arrayBuffer());
    const dir = unique("open");
    const opened = await run(
      `mkdir ${dir} && cd ${dir} && age -d -i <(echo ${IDENTITY}) | tar xzf - && git fsck --full --strict 2>&1 && git log --format=%H main && git rev-parse HEAD && git count-objects -v | grep -E '^(count|in-pack)'`,
      { stdin: bytes },
    );
    const lines = opened.stdout.trim().split("\n");
    const source = (await run(`git --git-dir=src/${name}.git rev-list main`)).stdout.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(source);
    expect(lines).toContain(`count: 0`);
    expect(lines[3]).toBe(commit);

    // The consumer, started directly (both roles run here), pushed it with the forge's token.
    const consumed = await settled("mirror-consume", (i) => i.key === key, "consume job");
    expect(consumed.status, consumed.error).toBe("done");
    expect(
      (
        await run(
          `git --git-dir=dst/${name}.git rev-parse mirrored/main && git --git-dir=dst/${name}.git fsck --strict 2>&1`,
        )
      ).stdout
        .trim()
        .split("\n")[0],
    ).toBe(commit);
    const m = await mirrorOf(mirror.id);
    expect(m.producer).toMatchObject({ commit, key, error: null });
    expect(m.consumer).toMatchObject({ commit, error: null });
    expect(m.consumer.commitTime).toBeGreaterThan(0);

    // A new commit: a new object, the stale one removed, the destination forced forward.
    const next = (
      await run(
        `cd w/${name} && git commit -q --allow-empty -m four && git push -q origin HEAD:main && git rev-parse HEAD`,
      )
    ).stdout.trim();
    expect((await json(admin(`/api/mirrors/${mirror.id}/sync`, "POST"))).status).toBe(202);
    const consumed2 = await settled("mirror-consume", (i) => i.key === keyOf(name, next), "second consume job");
    expect(consumed2.status, consumed2.error).toBe("done");
    expect(await env.SYNC.head(key)).toBeNull();
    expect(await env.SYNC.head(keyOf(name, next))).not.toBeNull();
    expect((await run(`git --git-dir=dst/${name}.git rev-parse mirrored/main`)).stdout.trim()).toBe(next);

    // Applied objects are remembered by key and etag: a reconcile (as after a restart) starts nothing for them.
    const sweep = await reconcileConsumer(menv);
    expect(sweep.submitted).not.toContain(keyOf(name, next));

    const metrics = await (await call("/api/mirrors/metrics")).text();
    expect(metrics).toMatch(
      new RegExp(`forgeline_mirror_last_applied_commit_age_seconds\\{mirror="${mirror.id}",[^}]*\\} \\d+`),
    );
    expect(metrics).toMatch(/forgeline_mirror_runs_total\{role="producer"\} [1-9]/);
    expect(metrics).toMatch(/forgeline_mirror_runs_total\{role="consumer"\} [1-9]/);
  });

  it("applies an object made by hand the original way (git clone, tar czf, age -r), started by an R2 notification", async () => {
    const { name, commit } = await repos();
    await run(`git --git-dir=dst/${name}.git symbolic-ref HEAD refs/heads/main`);
    // A mirror spec on the consumer's side only: its source is not reachable from here.
    const { mirror } = await createMirror(name, {
      sourceUrl: `${env.GIT_SERVER}/nowhere/${name}.git`,
      destBranch: "from-hand",
    });
    const dir = unique("hand");
    const made = await run(
      `mkdir ${dir} && cd ${dir} && git clone -q -b main ${env.GIT_SERVER}/src/${name}.git repo && tar czf - -C repo . | age -r ${RECIPIENT}`,
    );
    const key = encodeKey({
      group: "dst",
      project_name: name,
      commit_sha: commit,
      local_branch: "main",
      remote_branch: "from-hand",
    });
    const put = await env.SYNC.put(key, made.bytes);

    const batch = createMessageBatch("forgeline-sync-events", [
      {
        id: "n1",
        timestamp: new Date(),
        attempts: 1,
        body: {
          account: "a",
          bucket: "forgeline-sync",
          action: "PutObject",
          object: { key, size: made.bytes.length, eTag: put!.etag },
          eventTime: new Date().toISOString(),
        },
      },
      {
        id: "n2",
        timestamp: new Date(),
        attempts: 1,
        body: {
          account: "a",
          bucket: "forgeline-sync",
          action: "PutObject",
          object: { key: "foo_bar", size: 1, eTag: "x" },
        },
      },
      {
        id: "n3",
        timestamp: new Date(),
        attempts: 1,
        body: { account: "a", bucket: "forgeline-sync", action: "DeleteObject", object: { key } },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, menv);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["n1", "n2", "n3"]);

    const consumed = await settled("mirror-consume", (i) => i.key === key, "consume job");
    expect(consumed.status, consumed.error).toBe("done");
    expect((await run(`git --git-dir=dst/${name}.git rev-parse from-hand`)).stdout.trim()).toBe(commit);
    expect((await mirrorOf(mirror.id)).consumer.commit).toBe(commit);
  });

  it("applies a hand-made repository holding loose objects and two packs (one pack written from all of them)", async () => {
    const name = unique("loose");
    await run(`git init -q --bare -b main dst/${name}.git`);
    const { mirror } = await createMirror(name, {
      sourceUrl: `${env.GIT_SERVER}/nowhere/${name}.git`,
      destBranch: "main",
    });
    const dir = unique("loose");
    const made = await run(
      `mkdir ${dir} && cd ${dir} && git init -q -b main repo && cd repo && seq 1 3000 > a && git add a && git commit -q -m one && git repack -q -d && ` +
        `seq 1 4000 > a && git add a && git commit -q -m two && git repack -q && echo loose > b && git add b && git commit -q -m three && ` +
        `ls .git/objects/pack/*.pack | wc -l >&2 && cd .. && tar czf - -C repo . | age -r ${RECIPIENT}`,
    );
    expect(made.stderr.trim()).toBe("2");
    const commit = (await run(`git -C ${dir}/repo rev-parse HEAD`)).stdout.trim();
    const key = encodeKey({
      group: "dst",
      project_name: name,
      commit_sha: commit,
      local_branch: "main",
      remote_branch: "main",
    });
    const put = await env.SYNC.put(key, made.bytes);
    const { offer } = await import("../../workers/mirror/reconcile");
    expect(await offer(menv, key, put!.etag)).toEqual({ ok: true });
    const consumed = await settled("mirror-consume", (i) => i.key === key, "consume job");
    expect(consumed.status, consumed.error).toBe("done");
    const check = await run(
      `git --git-dir=dst/${name}.git rev-parse main && git --git-dir=dst/${name}.git fsck --strict 2>&1 && git --git-dir=dst/${name}.git log --format=%s main`,
    );
    expect(check.stdout.trim().split("\n")).toEqual([commit, "three", "two", "one"]);
    expect((await mirrorOf(mirror.id)).consumer.commit).toBe(commit);
  });

  it("records a vanished source, refused credentials and a refused push on the mirror; other mirrors go on", async () => {
    const gone = unique("gone");
    const a = await createMirror(gone, { sourceUrl: `${env.GIT_SERVER}/src/${gone}.git` });
    const produced = await settled(
      "mirror-produce",
      (i) => i.sourceUrl.endsWith(`/src/${gone}`),
      "produce job of a vanished source",
    );
    expect(produced.status).toBe("rejected");
    expect((await mirrorOf(a.mirror.id)).producer.error).toMatch(/404|not found/i);

    const creds = await repos();
    const b = await createMirror(creds.name, { destUrl: authed(`dst/${creds.name}.git`, "some-other-token") });
    const refusedCreds = await settled(
      "mirror-consume",
      (i) => i.key === keyOf(creds.name, creds.commit),
      "consume job with refused credentials",
    );
    expect(refusedCreds.status).not.toBe("done");
    expect((await mirrorOf(b.mirror.id)).consumer.error).toMatch(/401|auth|credential/i);
    expect((await run(`git --git-dir=dst/${creds.name}.git for-each-ref | wc -l`)).stdout.trim()).toBe("0");

    const hook = await repos();
    await run(
      `printf '#!/bin/sh\\necho "branch is protected" >&2\\nexit 1\\n' > dst/${hook.name}.git/hooks/pre-receive && chmod +x dst/${hook.name}.git/hooks/pre-receive`,
    );
    const c = await createMirror(hook.name);
    const refused = await settled(
      "mirror-consume",
      (i) => i.key === keyOf(hook.name, hook.commit),
      "consume job refused by a hook",
    );
    expect(refused.status).toBe("failed");
    expect((await mirrorOf(c.mirror.id)).consumer.error).toMatch(/refused|declined|hook/i);

    const fine = await repos();
    const d = await createMirror(fine.name);
    const ok = await settled(
      "mirror-consume",
      (i) => i.key === keyOf(fine.name, fine.commit),
      "consume job of a healthy mirror",
    );
    expect(ok.status, ok.error).toBe("done");
    expect((await mirrorOf(d.mirror.id)).consumer.commit).toBe(fine.commit);
  });

  it("the producer's reconcile removes objects of deleted mirrors and leaves foreign keys alone", async () => {
    const { name, commit } = await repos();
    const { mirror } = await createMirror(name);
    await settled("mirror-produce", (i) => i.sourceUrl.endsWith(`/src/${name}`), "produce job");
    expect(await env.SYNC.head(keyOf(name, commit))).not.toBeNull();
    await env.SYNC.put("not-a-sync-key.txt", "keep me");
    expect((await admin(`/api/mirrors/${mirror.id}`, "DELETE")).status).toBe(200);
    const swept = await reconcileProducer(menv);
    expect(swept.removed).toContain(keyOf(name, commit));
    expect(await env.SYNC.head(keyOf(name, commit))).toBeNull();
    expect(await env.SYNC.head("not-a-sync-key.txt")).not.toBeNull();
  });
});
