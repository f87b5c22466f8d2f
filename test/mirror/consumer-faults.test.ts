// The consumer facing bad objects: wrong identity, corrupted or truncated ciphertext, unsafe tarballs, objects
// far over the size limit, keys that are not sync keys, a failing bucket. Each gets a clear error on the
// mirror and the job, is remembered as rejected, writes nothing to the destination, and stops no other object.

import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { admin, call, eventually, json } from "../support/http";
import { encodeKey } from "../../workers/mirror/keys";
import { offer, reconcileConsumer } from "../../workers/mirror/reconcile";
import { syncReader, BucketUnavailable } from "../../workers/mirror/sync-bucket";
import { OTHER_RECIPIENT, RECIPIENT, run, unique } from "./support";

const menv = env;
let dest: { name: string; id: string; head: string };

/** A bare destination repo with one commit, and a mirror spec pointing at it. */
async function destinationRepo() {
  const name = unique("dst");
  const head = (
    await run(
      `git init -q --bare dest/${name}.git && git clone -q dest/${name}.git w-${name} 2>/dev/null && cd w-${name} && git commit -q --allow-empty -m old && git push -q origin HEAD:main && git rev-parse HEAD`,
    )
  ).stdout.trim();
  const created = await json(
    admin("/api/mirrors", "POST", {
      source: { url: `${env.GIT_SERVER}/missing/${name}.git`, branch: "main" },
      destination: { url: `${env.GIT_SERVER}/dest/${name}.git`, group: "dest", project: name, branch: "main" },
    }),
  );
  expect(created.status).toBe(201);
  return { name, id: created.body.mirror.id as string, head };
}

/** A real clone of a small repo, as a tarball made by `script` (run in a fresh dir holding the clone `repo/`). */
async function handMade(script: string, recipient = RECIPIENT) {
  const dir = unique("hm");
  const out = await run(
    `mkdir ${dir} && cd ${dir} && git init -q repo && cd repo && echo ${dir} > a && git add a && git commit -q -m one && git rev-parse HEAD > ../commit && cd .. && { ${script}; } | age -r ${recipient}`,
  );
  const commit = (await run(`cat ${dir}/commit`)).stdout.trim();
  return { bytes: out.bytes, commit };
}

async function putObject(commit: string, bytes: Uint8Array) {
  const key = encodeKey({
    group: "dest",
    project_name: dest.name,
    commit_sha: commit,
    local_branch: "main",
    remote_branch: "main",
  });
  const put = await env.SYNC.put(key, bytes);
  return { key, etag: put!.etag };
}

async function consumeJob(key: string) {
  return eventually(
    async () => {
      const res = await json(call(`/api/jobs?kind=mirror-consume&limit=500`));
      const jobs = res.body.jobs as { id: string; status: string; phase: string; error: string | null }[];
      for (const j of jobs) {
        const full = (await json(call(`/api/jobs/${j.id}`))).body.job;
        if (full.input.key === key && full.phase === "settled") return full;
      }
      return undefined;
    },
    30_000,
    `consume job of ${key}`,
  );
}

async function destinationHead() {
  return (await run(`git --git-dir=dest/${dest.name}.git rev-parse main`)).stdout.trim();
}

async function expectRejected(key: string, etag: string, error: RegExp) {
  const job = await consumeJob(key);
  expect(job.status, job.error).toBe("rejected");
  expect(job.error).toMatch(error);
  const mirror = (await json(call(`/api/mirrors/${dest.id}`))).body.mirror;
  expect(mirror.consumer.error).toMatch(error);
  expect(await destinationHead()).toBe(dest.head);
  const staged = await menv.MIRROR_STAGING.list({ prefix: `consume/${job.id}/` });
  expect(staged.objects).toEqual([]);
  // Remembered as rejected: offering it again starts nothing.
  expect(await offer(menv, key, etag)).toEqual({ ok: false, reason: "already done" });
}

beforeAll(async () => {
  dest = await destinationRepo();
});

describe("consumer faults", () => {
  it("wrong identity", async () => {
    const o = await handMade("tar czf - -C repo .", OTHER_RECIPIENT);
    const { key, etag } = await putObject(o.commit, o.bytes);
    expect(await offer(menv, key, etag)).toEqual({ ok: true });
    await expectRejected(key, etag, /not encrypted to this consumer's identity/);
  });

  it("corrupted and truncated ciphertext", async () => {
    const o = await handMade("head -c 200000 /dev/urandom > repo/blob && tar czf - -C repo .");
    const corrupted = o.bytes.slice();
    corrupted[corrupted.length - 1000]! ^= 0x40;
    const a = await putObject(o.commit, corrupted);
    await offer(menv, a.key, a.etag);
    await expectRejected(a.key, a.etag, /corrupted or truncated/);

    const o2 = await handMade("head -c 200000 /dev/urandom > repo/blob && tar czf - -C repo .");
    const b = await putObject(o2.commit, o2.bytes.subarray(0, o2.bytes.length - 30_000));
    await offer(menv, b.key, b.etag);
    await expectRejected(b.key, b.etag, /corrupted or truncated/);
  });

  it("tarballs with ../ paths, absolute paths or escaping symlinks", async () => {
    const scripts: [string, RegExp][] = [
      [`mkdir x && echo evil > evil && tar czf - -C repo . --absolute-names ../${"evil"}`, /paths with "\.\."/],
      [`echo evil > evil && tar czf - --absolute-names "$PWD/evil" -C repo .`, /absolute paths/],
      [`ln -s ../../../etc repo/.git/hooks-out && tar czf - -C repo .`, /escapes the archive/],
    ];
    for (const [script, error] of scripts) {
      const o = await handMade(script);
      const { key, etag } = await putObject(o.commit, o.bytes);
      await offer(menv, key, etag);
      await expectRejected(key, etag, error);
    }
  });

  it("objects far over MIRROR_MAX_TAR_BYTES, compressed or not", async () => {
    const big = await handMade("head -c 9000000 /dev/urandom > repo/blob && tar czf - -C repo .");
    const a = await putObject(big.commit, big.bytes);
    await offer(menv, a.key, a.etag);
    await expectRejected(a.key, a.etag, /over MIRROR_MAX_TAR_BYTES/);

    const bomb = await handMade("head -c 60000000 /dev/zero > repo/zeros && tar czf - -C repo .");
    expect(bomb.bytes.length).toBeLessThan(1_000_000);
    const b = await putObject(bomb.commit, bomb.bytes);
    await offer(menv, b.key, b.etag);
    await expectRejected(b.key, b.etag, /unpacked tarball passed MIRROR_MAX_TAR_BYTES/);
  });

  it("a key that is not base64 JSON is reported and skipped; the other objects go on", async () => {
    const o = await handMade("tar czf - -C repo .", OTHER_RECIPIENT);
    await env.SYNC.put("foo_bar", new Uint8Array([1, 2, 3]));
    await env.SYNC.put(btoa("{not json") + ".tar.age", new Uint8Array([1]));
    const good = await putObject(o.commit, o.bytes);
    const sweep = await reconcileConsumer(menv);
    expect(sweep.skipped.map((s) => s.key)).toEqual(
      expect.arrayContaining(["foo_bar", btoa("{not json") + ".tar.age"]),
    );
    expect(sweep.skipped.find((s) => s.key === "foo_bar")?.reason).toMatch(/not a sync key/);
    expect(sweep.submitted).toContain(good.key);
    await consumeJob(good.key);
  });

  it("a failing bucket is a retryable error, not a verdict on the object", async () => {
    const failing = {
      ...menv,
      SYNC_S3_ENDPOINT: `${env.GIT_SERVER}/_fault/status/503`,
      SYNC_S3_ACCESS_KEY_ID: "id",
      SYNC_S3_SECRET_ACCESS_KEY: "secret",
      SYNC_S3_BUCKET: "forgeline-sync",
    };
    await expect(syncReader(failing).get("anything.tar.age")).rejects.toThrow(BucketUnavailable);
    await expect(reconcileConsumer(failing)).rejects.toThrow(/HTTP 503/);
    const metrics = await (await call("/api/mirrors/metrics")).text();
    expect(metrics).toMatch(/forgeline_mirror_failures_total\{role="consumer"\} [1-9]/);
  });
});
