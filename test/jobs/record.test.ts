// The JobObject's record against storage: a transaction that throws leaves the record as stored (not as the
// failed change left it in memory), and a wake that comes while an attempt runs is kept for its deferral.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import "../support/probe";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import { remote } from "../../workers/core/remote";
import type { JobObject } from "../../durable-objects/job";
import type { ProbeStep } from "../support/probe";

const HOST = "record.forge.test";
let secret: string;

beforeAll(async () => {
  secret = await registerForge(HOST, "github");
});

/** A probe job started by a real push; answers once its first attempt has left it running (`hang`). */
async function runningJob(script: ProbeStep[]): Promise<string> {
  const name = unique("repo");
  const repo = await json(
    admin("/api/repos", "POST", { url: `https://${HOST}/acme/${name}`, pipelines: { probe: { script } } }),
  );
  expect(repo.status).toBe(201);
  const body = JSON.stringify({
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after: "1".repeat(40),
    repository: { html_url: `https://${HOST}/acme/${name}`, full_name: `acme/${name}`, name, owner: { login: "acme" } },
    commits: [],
  });
  const res = await json(deliver({ forge: "github", event: "push", body, secret }));
  const id = res.body.jobs[0].id as string;
  await eventually(
    async () => (await job(id)).log.some((l: Answer) => l.line.startsWith("attempt 1: hang")),
    20_000,
    "attempt 1 hanging",
  );
  return id;
}

async function job(id: string) {
  return (await json(call(`/api/jobs/${id}`))).body.job;
}

const stub = (id: string) => remote<JobObject>(env.JOB, id);
const objectOf = (id: string) => env.JOB.get(env.JOB.idFromName(id));

describe("JobObject record", () => {
  it("is read back from storage when a transaction throws, so the failed change leaves no trace", async () => {
    const id = await runningJob(["hang"]);
    const before = (await stub(id).current())!;
    expect(before.phase).toBe("running");
    // A step whose value is over SQLite's 2 MB value limit: the record changes in memory, then the write fails.
    // (Called inside the object, where the rejection is caught, rather than thrown across RPC.)
    const huge = "x".repeat(3 * 1024 * 1024);
    await runInDurableObject(objectOf(id), async (object) => {
      const instance = object as unknown as JobObject;
      await expect(instance.step(before.lease, "huge", huge)).rejects.toThrow(/SQLITE_TOOBIG/);
    });
    const after = (await stub(id).current())!;
    expect(after.steps).toEqual(before.steps);
    expect(after.version).toBe(before.version);
    expect(after.watchdogAt).toBe(before.watchdogAt);
    // The object carries on from what is stored: a later change saves no part of the failed one.
    expect((await stub(id).step(before.lease, "small", "ok")).ok).toBe(true);
    await evictDurableObject(objectOf(id));
    const stored = (await stub(id).current())!;
    expect(stored.steps).toEqual({ ...before.steps, small: "ok" });
    expect(stored.version).toBe(before.version + 1);
    expect((await admin(`/api/jobs/${id}/cancel`, "POST")).status).toBe(200);
  });

  it("rolls back a created record too: a job whose creation failed does not exist", async () => {
    const id = unique("j");
    const spec = {
      id,
      kind: "probe",
      repoKey: "k",
      repoId: null,
      repoUrl: "https://x.test/a/b",
      input: { big: "x".repeat(3 * 1024 * 1024) },
      eventId: null,
    };
    await runInDurableObject(objectOf(id), async (object) => {
      const instance = object as unknown as JobObject;
      await expect(instance.create(spec)).rejects.toThrow(/SQLITE_TOOBIG/);
      expect(instance.current()).toBeNull();
    });
    expect(await stub(id).current()).toBeNull();
    expect(await stub(id).view()).toBeNull();
  });

  it("keeps a wake that comes while an attempt runs, and dispatches at once when that attempt defers", async () => {
    const id = await runningJob(["hang", "ok"]);
    const running = (await stub(id).current())!;
    const woken = await stub(id).wake("the build was taken");
    expect(woken).toMatchObject({ phase: "running", wakePending: "the build was taken" });
    // Survives a restart: it is in the stored record.
    await evictDurableObject(objectOf(id));
    expect((await stub(id).current())!.wakePending).toBe("the build was taken");
    // The attempt now defers for ten minutes; the pending wake makes that now: attempt 2 runs and finishes.
    const verdict = await stub(id).defer(running.lease, Date.now() + 10 * 60_000, "waiting for a builder");
    expect(verdict.ok && verdict.job.phase).toBe("queued");
    const done = await eventually(
      async () => {
        const j = await job(id);
        return j.status === "done" && j;
      },
      20_000,
      "attempt 2 done",
    );
    expect(done.attempts).toBe(2);
    expect(done.wakePending).toBeNull();
    expect(done.log.map((l: Answer) => l.line)).toContain(
      "not deferred (waiting for a builder): woken while running: the build was taken",
    );
  });

  it("defers as asked when no wake came, and a wake then runs it at once", async () => {
    const id = await runningJob(["hang", "ok"]);
    const running = (await stub(id).current())!;
    const verdict = await stub(id).defer(running.lease, Date.now() + 10 * 60_000, "waiting for a builder");
    expect(verdict.ok && verdict.job.phase).toBe("waiting");
    expect((await stub(id).wake("news"))!.phase).toBe("queued");
    await eventually(async () => (await job(id)).status === "done", 20_000, "done after the wake");
    // Nothing left scheduled.
    await runInDurableObject(objectOf(id), async (_i, state) => {
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });
});
