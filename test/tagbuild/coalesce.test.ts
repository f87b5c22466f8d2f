// Coalescing and replay (never two jobs at once on one tag object; duplicates take the outcome), expiry of
// job rows after TAG_MAX_AGE, and the forge going down: failed with retryEarliest → preflight → retried.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { call, eventually, json, unique, type Answer } from "../support/http";
import { gitHost, jobIn, pushTag, registerTagRepo, sh, tagJob, tagRepo, tagbuildFile } from "./support";
import { runTagbuildCron } from "../../workers/tagbuild/cron";
import { remote } from "../../workers/core/remote";
import type { ForgeObject } from "../../durable-objects/forge";

const file = tagbuildFile();
const builder = file.builder;

async function jobView(id: string) {
  return (await json(call(`/api/jobs/${id}`))).body.job;
}

/** A second repo holding the very same tag object (same commit, same tag bytes). */
async function forkOf(repo: { path: string; tagName: string }) {
  const name = unique("fork");
  await sh(`git clone -q --bare ${repo.path} o/${name}.git`);
  return { url: `${env.GIT_SERVER}/o/${name}`, tagName: repo.tagName };
}

async function setSwitch(name: string, status: number | null) {
  await fetch(`${env.GIT_SERVER}/_control/switch`, { method: "POST", body: JSON.stringify({ name, status }) });
}

describe("coalescing", () => {
  it("makes a job on the same tag object wait for the one holding it, then a duplicate of its outcome", async () => {
    const a = await tagRepo(unique("r"));
    const fork = await forkOf(a);
    await registerTagRepo(a.url);
    await registerTagRepo(fork.url);
    const first = (await pushTag(file.secret(), a, a.tagId)).jobs[0]!;
    await jobIn(first, ["queued"]);
    const second = (await pushTag(file.secret(), fork, a.tagId)).jobs[0]!;
    // The second waits (deferred), holding no build of its own.
    const waiting = await eventually(
      async () => {
        const j = await jobView(second);
        return j.phase === "waiting" && j.log.some((l: Answer) => l.line.includes(`waiting for job ${first}`)) && j;
      },
      20_000,
      "second job waiting",
    );
    expect(waiting.status).toBe("noticed");
    expect((await json(call("/api/builders"))).body.queued).toBe(1);

    const b = await builder();
    expect((await b.takeJob()).jobId).toBe(first);
    b.send("uploaded");
    await jobIn(first, ["uploaded"]);
    const dup = await jobIn(second, ["uploaded"]);
    expect(dup.duplicateOf).toBe(first);
    expect(dup.reason).toBe(`duplicate of job ${first} (uploaded)`);
    expect(dup.builder).toBeNull();
  });

  it("makes a later job on an object that ended irrecoverable a duplicate at once", async () => {
    const a = await tagRepo(unique("r"));
    const fork = await forkOf(a);
    await registerTagRepo(a.url);
    await registerTagRepo(fork.url);
    const first = (await pushTag(file.secret(), a, a.tagId)).jobs[0]!;
    const b = await builder();
    await b.takeJob();
    b.send("irrecoverable");
    await jobIn(first, ["irrecoverable"]);
    const second = (await pushTag(file.secret(), fork, a.tagId)).jobs[0]!;
    expect(await jobIn(second, ["irrecoverable"])).toMatchObject({
      duplicateOf: first,
      reason: `duplicate of job ${first} (irrecoverable)`,
    });
  });

  it("ignores the same tag object delivered again to the same repo (no manual retry of a tag)", async () => {
    const a = await tagRepo(unique("r"));
    await registerTagRepo(a.url);
    const first = (await pushTag(file.secret(), a, a.tagId)).jobs[0]!;
    // Gitea's `create` event for the same tag, a separate delivery.
    const again = await pushTag(file.secret(), a, a.tagId, { event: "create" });
    const second = again.jobs[0]!;
    expect(second).not.toBe(first);
    const b = await builder();
    expect((await b.takeJob()).jobId).toBe(first);
    b.send("uploaded");
    await jobIn(first, ["uploaded"]);
    const ignored = await jobIn(second, ["not_for_us"]);
    expect(ignored.reason).toBe(`tag object ${a.tagId} was already delivered for this repo (job ${first}); ignored`);
    expect(ignored.duplicateOf).toBe(first);
    // A retry by hand is refused for tag builds.
    const retry = await json(
      call(`/api/jobs/${first}/retry`, { method: "POST", headers: { Authorization: "Bearer test-admin-token" } }),
    );
    expect(retry.status).toBe(409);
  });

  it("ends every delivery of a tag that is not for us (none waits on the first, holding the repo's chain)", async () => {
    const a = await tagRepo(unique("r"), { message: "just a release, no requests for anyone" });
    await registerTagRepo(a.url);
    const first = (await pushTag(file.secret(), a, a.tagId)).jobs[0]!;
    expect((await jobIn(first, ["not_for_us"])).reason).toMatch(/dgit|for us|distro/i);
    // Gitea's `create` carries no object id, so it is a job of its own; it must end too, not wait on the first.
    const second = (await pushTag(file.secret(), a, null, { event: "create" })).jobs[0]!;
    expect(await jobIn(second, ["not_for_us"])).toMatchObject({ duplicateOf: first });
  });
});

async function tagbuildListed(repoUrl: string): Promise<Answer[]> {
  return (
    await json(
      call(`/api/tagbuild/jobs?repo=${encodeURIComponent(repoUrl)}`, { headers: { Accept: "application/json" } }),
    )
  ).body.jobs;
}

describe("expiry", () => {
  it("keeps job rows at least TAG_MAX_AGE + TAG_SLOP (a tag dated ahead stays acceptable that long), then prunes settled ones", async () => {
    const a = await tagRepo(unique("r"));
    await registerTagRepo(a.url);
    const settled = (await pushTag(file.secret(), a, "d".repeat(40))).jobs[0]!;
    await jobIn(settled, ["irrecoverable"]);
    // Pruning goes by the JobObjects' D1 summaries: wait for this one's to say settled.
    await eventually(async () => (await tagbuildListed(a.url))[0]?.phase === "settled", 10_000, "summary settled");
    const b = await tagRepo(unique("r"));
    await registerTagRepo(b.url);
    const running = (await pushTag(file.secret(), b, b.tagId)).jobs[0]!;
    await jobIn(running, ["queued"]);

    const keep = 72 * 3_600_000 + 15 * 60_000;
    const early = await runTagbuildCron(env, Date.now() + keep - 60_000);
    expect(await tagJob(settled)).not.toBeNull();
    expect(early.pruned).toBe(0);
    const late = await runTagbuildCron(env, Date.now() + keep + 60_000);
    expect(late.pruned).toBeGreaterThanOrEqual(1);
    expect(await tagJob(settled)).toBeNull();
    expect((await json(call(`/api/tagbuild/jobs?repo=${encodeURIComponent(a.url)}`))).body.jobs).toEqual([]);
    // A job still in progress is kept whatever its age.
    expect((await tagJob(running))?.status).toBe("queued");
  });
});

describe("forge down", () => {
  it("fails with retryEarliest, stays failed while the preflight fails, and is retried once the forge is up", async () => {
    const sw = unique("sw");
    const a = await tagRepo(unique("r"), { prefix: `_fault/switch/${sw}` });
    await registerTagRepo(a.url);
    await setSwitch(sw, 503);
    const id = (await pushTag(file.secret(), a, a.tagId)).jobs[0]!;
    const failed = await jobIn(id, ["failed"]);
    expect(failed.reason).toMatch(/unreachable: .*503/);
    expect(failed.retryEarliest).toBeGreaterThan(Date.now());
    const host = gitHost();
    const forge = remote<ForgeObject>(env.FORGE, host);
    expect(await forge.status(host)).toMatchObject({ up: false });

    // Not due yet: nothing happens.
    expect((await runTagbuildCron(env, Date.now())).retried).toEqual([]);
    // Due, forge still down: the preflight fails and the retry moves out.
    const stillDown = await runTagbuildCron(env, failed.retryEarliest + 1);
    expect(stillDown.stillDown).toContain(id);
    const later = await tagJob(id);
    expect(later.status).toBe("failed");
    expect(later.retryEarliest).toBeGreaterThan(failed.retryEarliest);

    // The forge answers again: its preflight (on its alarm) finds it up, and the cron retries the job.
    await setSwitch(sw, null);
    const forgeStub = env.FORGE.get(env.FORGE.idFromName(host));
    await runInDurableObject(forgeStub, async (_i, state) => {
      const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM forge").one().doc);
      doc.nextPreflightAt = Date.now() - 1;
      state.storage.sql.exec("UPDATE forge SET doc = ?", JSON.stringify(doc));
    });
    await evictDurableObject(forgeStub);
    await runDurableObjectAlarm(forgeStub);
    expect(await forge.status(host)).toMatchObject({ up: true });
    const report = await runTagbuildCron(env, later.retryEarliest + 1);
    expect(report.retried).toEqual([id]);
    const queued = await jobIn(id, ["queued"]);
    expect(queued.transitions.map((t: Answer) => t.to)).toEqual(["noticed", "failed", "noticed", "queued"]);
    expect(queued.retryEarliest).toBeNull();
  });
});
