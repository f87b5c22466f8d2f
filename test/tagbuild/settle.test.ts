// A tag-build job ended by its JobObject itself (cancel, the watchdog, retries used up, a dead letter) frees its
// tag object at once: the build is taken back from the builders hub (a builder holding it is told), and a later
// delivery of the same tag object is claimed at once instead of waiting on a stale status.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  createMessageBatch,
  evictDurableObject,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { jobIn, pushTag, registerTagRepo, sh, tagJob, tagRepo, tagbuildFile, type TagRepo } from "./support";
import { remote } from "../../workers/core/remote";
import type { BuildersObject } from "../../durable-objects/builders";
import type { JobObject } from "../../durable-objects/job";
import type { JobRecord } from "../../workers/core/job";
import worker from "../../workers/index";

const file = tagbuildFile();
const hub = () => remote<BuildersObject>(env.BUILDERS, "builders");
const jobStub = (id: string) => env.JOB.get(env.JOB.idFromName(id));

async function jobView(id: string) {
  return (await json(call(`/api/jobs/${id}`))).body.job;
}

/** A registered repo with a tag whose job holds the tag object and waits, queued, for a builder. */
async function queuedJob(): Promise<{ repo: TagRepo; id: string }> {
  const repo = await tagRepo(unique("r"));
  await registerTagRepo(repo.url);
  const id = (await pushTag(file.secret(), repo, repo.tagId)).jobs[0]!;
  await jobIn(id, ["queued"]);
  expect(await hub().status(id)).toMatchObject({ state: "queued" });
  return { repo, id };
}

/** Rewrites the stored record (as time passing or a message in flight would leave it) and reloads the object. */
async function arrange(id: string, change: (doc: JobRecord) => void): Promise<JobRecord> {
  let doc!: JobRecord;
  await runInDurableObject(jobStub(id), async (_i, state) => {
    doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM job").one().doc);
    change(doc);
    state.storage.sql.exec("UPDATE job SET doc = ?", JSON.stringify(doc));
  });
  await evictDurableObject(jobStub(id));
  return doc;
}

/**
 * After `first` settled by its JobObject's own hand: its build is gone from the hub, and the same tag object
 * delivered again (Gitea's `create` for the same tag: a new delivery) is claimed and queued at once.
 */
async function expectFreed(repo: TagRepo, first: string, error: RegExp) {
  const ended = await jobView(first);
  expect([ended.status, ended.phase]).toEqual(["failed", "settled"]);
  expect(ended.error).toMatch(error);
  expect(await hub().status(first)).toBeNull();
  const again = (await pushTag(file.secret(), repo, repo.tagId, { event: "create" })).jobs[0]!;
  expect(again).not.toBe(first);
  const queued = await jobIn(again, ["queued"]);
  expect(queued.tag.objectId).toBe(repo.tagId);
  expect((await jobView(again)).log.some((l: Answer) => l.line.includes("waiting for job"))).toBe(false);
  expect(await hub().status(again)).toMatchObject({ state: "queued" });
  // Leave nothing scheduled behind: the second job's recheck alarm goes with it.
  expect((await json(admin(`/api/jobs/${again}/cancel`, "POST", { reason: "test done" }))).status).toBe(200);
}

describe("a tag-build job its JobObject ends", () => {
  it("cancelled while queued: the build leaves the hub and a redelivery is claimed at once", async () => {
    const { repo, id } = await queuedJob();
    const res = await json(admin(`/api/jobs/${id}/cancel`, "POST", { reason: "uploader asked" }));
    expect(res.status).toBe(200);
    expect((await json(call("/api/builders"))).body.queued).toBe(0);
    // The pages show the JobObject's state and why it ended.
    const page = await tagJob(id);
    expect(page).toMatchObject({ status: "failed", phase: "settled", reason: "cancelled: uploader asked" });
    expect(page.finishedAt).toBeGreaterThan(0);
    const listed = await eventually(
      async () => {
        const res = await json(
          call(`/api/tagbuild/jobs?status=failed&repo=${encodeURIComponent(repo.url)}`, {
            headers: { Accept: "application/json" },
          }),
        );
        return res.body.jobs.length > 0 && res;
      },
      10_000,
      "listed as failed",
    );
    expect(listed.body.jobs.map((j: Answer) => [j.id, j.status, j.reason])).toEqual([
      [id, "failed", "cancelled: uploader asked"],
    ]);
    await expectFreed(repo, id, /^cancelled: uploader asked$/);
  });

  it("cancelled while building: the builder is told to restart and dropped; its messages stay with the job", async () => {
    const { repo, id } = await queuedJob();
    const b = await file.builder();
    expect((await b.takeJob()).jobId).toBe(id);
    await jobIn(id, ["building"]);
    b.send("message compiling");
    await eventually(async () => (await hub().status(id))?.messages.length === 1, 10_000, "message kept by the hub");
    expect((await json(admin(`/api/jobs/${id}/cancel`, "POST", { reason: "bad upload" }))).status).toBe(200);
    expect(await b.next()).toBe("restart-builder");
    expect((await b.waitClosed()).code).toBe(1000);
    expect((await tagJob(id)).messages.map((m: Answer) => m.text)).toEqual(["compiling"]);
    await expectFreed(repo, id, /^cancelled: bad upload$/);
  });

  it("given up by the watchdog (retries used up): freed", async () => {
    const { repo, id } = await queuedJob();
    // A consumer that took it and was lost, after the kind's 3 retries: the watchdog is due.
    await arrange(id, (doc) => {
      doc.phase = "running";
      doc.retries = 3;
      doc.watchdogAt = Date.now() - 1;
    });
    expect(await runDurableObjectAlarm(jobStub(id))).toBe(true);
    await expectFreed(repo, id, /^gave up after 3 retries: watchdog: no heartbeat/);
  });

  it("failed by a weak error with its retries used up: freed", async () => {
    const { repo, id } = await queuedJob();
    const doc = await arrange(id, (d) => {
      d.phase = "running";
      d.retries = 3;
    });
    const verdict = await remote<JobObject>(env.JOB, id).fail(doc.lease, {
      strength: "weak",
      message: "network trouble",
    });
    expect(verdict.ok).toBe(true);
    await expectFreed(repo, id, /^gave up after 3 retries: network trouble$/);
  });

  it("dead-lettered by the real dead-letter consumer: freed", async () => {
    const { repo, id } = await queuedJob();
    // Its message went on the queue and every delivery crashed; the queue hands it to the dead-letter queue.
    const doc = await arrange(id, (d) => void (d.phase = "queued"));
    const batch = createMessageBatch("forgeline-jobs-dlq", [
      { id: "dead-1", timestamp: new Date(), attempts: 1, body: { job: id, dispatch: doc.dispatch } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue!(batch as never, env as never);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dead-1"]);
    await expectFreed(repo, id, /^message dead-lettered: the jobs queue gave up/);
  });

  it("wakes a job that waited for it on the same tag object, which then takes the build", async () => {
    const { repo, id } = await queuedJob();
    const name = unique("fork");
    await sh(`git clone -q --bare ${repo.path} o/${name}.git`);
    const fork = { url: `${env.GIT_SERVER}/o/${name}`, tagName: repo.tagName };
    await registerTagRepo(fork.url);
    const waiter = (await pushTag(file.secret(), fork, repo.tagId)).jobs[0]!;
    await eventually(
      async () => {
        const j = await jobView(waiter);
        return j.phase === "waiting" && j.log.some((l: Answer) => l.line.includes(`waiting for job ${id}`));
      },
      20_000,
      "waiter waiting",
    );
    expect((await json(admin(`/api/jobs/${id}/cancel`, "POST", { reason: "wrong repo" }))).status).toBe(200);
    // Woken by the holder's settling, not by its own recheck a minute later.
    const queued = await jobIn(waiter, ["queued"]);
    expect(queued.duplicateOf).toBeNull();
    const log = (await jobView(waiter)).log.map((l: Answer) => l.line);
    expect(
      log.some((l: string) => l.includes(`woken: job ${id}, which held tag object ${repo.tagId}, settled failed`)),
    ).toBe(true);
    expect(await hub().status(waiter)).toMatchObject({ state: "queued" });
    expect((await json(admin(`/api/jobs/${waiter}/cancel`, "POST", { reason: "test done" }))).status).toBe(200);
  });
});
