// The job engine end to end: webhook → RepoObject chain → JobObject → queue → consumer → JobObject,
// with retries, the watchdog and the dead-letter queue driven by the real alarms and queues.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject, evictDurableObject } from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import type { ProbeStep } from "../support/probe";

const HOST = "engine.forge.test";
let secret: string;

beforeAll(async () => {
  secret = await registerForge(HOST, "github");
});

function pushBody(repo: string, after = "1111111111111111111111111111111111111111") {
  return JSON.stringify({
    ref: "refs/heads/main",
    before: "0000000000000000000000000000000000000000",
    after,
    repository: {
      html_url: `https://${HOST}/acme/${repo}`,
      full_name: `acme/${repo}`,
      name: repo,
      owner: { login: "acme" },
    },
    pusher: { name: "alice" },
    commits: [],
  });
}

async function repoWith(script: ProbeStep[], extra: Record<string, unknown> = {}) {
  const name = unique("repo");
  const res = await json(
    admin("/api/repos", "POST", { url: `https://${HOST}/acme/${name}`, pipelines: { probe: { script, ...extra } } }),
  );
  expect(res.status).toBe(201);
  return { name, id: res.body.repo.id as string };
}

async function push(name: string, after?: string) {
  const res = await json(deliver({ forge: "github", event: "push", body: pushBody(name, after), secret }));
  expect(res.status).toBe(202);
  return res.body as { event: string; jobs: { id: string; kind: string; coalesced?: boolean }[] };
}

async function job(id: string) {
  const res = await json(call(`/api/jobs/${id}`));
  return res.body.job;
}

function jobStub(id: string) {
  return env.JOB.get(env.JOB.idFromName(id));
}

/** Runs the job's alarm when its retry is due (tests do not wait out real backoffs). */
async function fireRetry(id: string) {
  await runInDurableObject(jobStub(id), async (_instance, state) => {
    const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM job").one().doc);
    doc.nextAttemptAt = Date.now() - 1;
    state.storage.sql.exec("UPDATE job SET doc = ?", JSON.stringify(doc));
  });
  await evictDurableObject(jobStub(id)); // reload the record from storage, as after a restart
  expect(await runDurableObjectAlarm(jobStub(id))).toBe(true);
}

describe("job engine", () => {
  it("runs a job to success through the queue", async () => {
    const { name } = await repoWith(["ok"]);
    const { jobs } = await push(name);
    expect(jobs).toHaveLength(1);
    const done = await eventually(
      async () => {
        const j = await job(jobs[0]!.id);
        return j.status === "done" && j;
      },
      20_000,
      "job done",
    );
    expect(done.phase).toBe("settled");
    expect(done.attempts).toBe(1);
    expect(done.transitions.map((t: Answer) => t.to)).toEqual(["created", "running", "done"]);
    expect(done.result).toEqual({ attempts: 1 });
    const listed = await json(call(`/api/jobs?kind=probe&status=done`));
    expect(listed.body.jobs.map((j: Answer) => j.id)).toContain(jobs[0]!.id);
  });

  it("retries weak errors with backoff on its alarm, keeping finished steps, then succeeds", async () => {
    const { name } = await repoWith(["weak", "weak", "ok"]);
    const id = (await push(name)).jobs[0]!.id;
    for (let retry = 1; retry <= 2; retry++) {
      const waiting = await eventually(
        async () => {
          const j = await job(id);
          return j.phase === "waiting" && j.retries === retry && j;
        },
        20_000,
        `retry ${retry} scheduled`,
      );
      expect(waiting.nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
      expect(waiting.error).toContain(`transient trouble at attempt ${retry}`);
      await fireRetry(id);
    }
    const done = await eventually(
      async () => {
        const j = await job(id);
        return j.status === "done" && j;
      },
      20_000,
      "job done after retries",
    );
    expect(done.attempts).toBe(3);
    // The first step ran once, at attempt 1, and was not redone by the retries.
    expect(done.log.map((l: Answer) => l.line)).toContain("attempt 3: ok (first step done at attempt 1)");
  });

  it("fails after 5 retries, stores the error, and sets the repo's error", async () => {
    const { name, id: repoId } = await repoWith(["weak"]);
    const id = (await push(name)).jobs[0]!.id;
    for (let retry = 1; retry <= 5; retry++) {
      await eventually(
        async () => {
          const j = await job(id);
          return j.phase === "waiting" && j.retries === retry;
        },
        20_000,
        `retry ${retry}`,
      );
      await fireRetry(id);
    }
    const failed = await eventually(
      async () => {
        const j = await job(id);
        return j.status === "failed" && j;
      },
      20_000,
      "job failed",
    );
    expect(failed.attempts).toBe(6);
    expect(failed.error).toMatch(/^gave up after 5 retries: transient trouble at attempt 6/);
    const repo = await eventually(async () => {
      const r = (await json(call(`/api/repos/${repoId}`))).body.repo;
      return r.error && r;
    });
    expect(repo.error.message.length).toBeLessThanOrEqual(120);
    expect(repo.error.message).toContain("gave up after 5 retries");
    expect(repo.error.jobId).toBe(id);
    // Cleared by an admin; the log records both.
    const cleared = await json(admin(`/api/repos/${repoId}/error`, "DELETE"));
    expect(cleared.body.repo.error).toBeNull();
    const events = (await json(call(`/api/repos/${repoId}/events`))).body.events.map((e: Answer) => e.kind);
    expect(events).toEqual(expect.arrayContaining(["registered", "push", "error_set", "error_cleared"]));
  });

  it("fails at once on a strong error; ends without blame on not-found", async () => {
    const a = await repoWith(["strong"]);
    const strongJob = (await push(a.name)).jobs[0]!.id;
    const b = await repoWith(["gone"]);
    const goneJob = (await push(b.name)).jobs[0]!.id;
    const s = await eventually(async () => {
      const j = await job(strongJob);
      return j.phase === "settled" && j;
    });
    expect(s.status).toBe("failed");
    expect(s.attempts).toBe(1);
    expect(s.error).toBe("this cannot work");
    const g = await eventually(async () => {
      const j = await job(goneJob);
      return j.phase === "settled" && j;
    });
    expect(g.status).toBe("missing");
    expect(g.error).toBeNull();
    expect((await json(call(`/api/repos/${b.id}`))).body.repo.error).toBeNull();
  });

  it("catches a lost consumer with the watchdog and retries", async () => {
    const { name } = await repoWith(["hang", "ok"]);
    const id = (await push(name)).jobs[0]!.id;
    await eventually(
      async () => (await job(id)).log.some((l: Answer) => l.line.startsWith("attempt 1: hang")),
      20_000,
      "hung",
    );
    // Time passes beyond the heartbeat timeout.
    await runInDurableObject(jobStub(id), async (_i, state) => {
      const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM job").one().doc);
      expect(doc.phase).toBe("running");
      doc.watchdogAt = Date.now() - 1;
      state.storage.sql.exec("UPDATE job SET doc = ?", JSON.stringify(doc));
    });
    await evictDurableObject(jobStub(id));
    expect(await runDurableObjectAlarm(jobStub(id))).toBe(true);
    const waiting = await job(id);
    expect(waiting.phase).toBe("waiting");
    expect(waiting.error).toMatch(/watchdog: no heartbeat for 60s/);
    await fireRetry(id);
    const done = await eventually(async () => {
      const j = await job(id);
      return j.status === "done" && j;
    });
    expect(done.attempts).toBe(2);
  });

  it("dead-letters a job whose consumer keeps crashing", async () => {
    const { name } = await repoWith(["crash"]);
    const id = (await push(name)).jobs[0]!.id;
    // The queue redelivers (at once in tests: CRASH_RETRY_SECONDS=0) up to max_retries, then the DLQ consumer fails the job.
    const failed = await eventually(
      async () => {
        const j = await job(id);
        return j.phase === "settled" && j;
      },
      30_000,
      "dead-lettered",
    );
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/message dead-lettered: the jobs queue gave up/);
    expect(failed.log.filter((l: Answer) => l.line.includes("crashed: probe crashed")).length).toBeGreaterThanOrEqual(
      2,
    );
  });

  it("serializes jobs of one pipeline per repo and coalesces waiting ones", async () => {
    const { name } = await repoWith(["hang", "ok"], { coalesce: true });
    const first = (await push(name, "2".repeat(40))).jobs[0]!;
    await eventually(async () => (await job(first.id)).phase === "running", 20_000, "first running");
    const second = (await push(name, "3".repeat(40))).jobs[0]!;
    const third = (await push(name, "4".repeat(40))).jobs[0]!;
    expect(second.id).not.toBe(first.id);
    expect(third).toEqual({ id: second.id, kind: "probe", coalesced: true });
    expect((await job(second.id)).phase).toBe("held");
    // The first finishes (cancelled here); the second is released.
    const cancelled = await json(admin(`/api/jobs/${first.id}/cancel`, "POST", { reason: "enough" }));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.job.error).toBe("cancelled: enough");
    await evictDurableObject(jobStub(first.id)); // the cancellation was written, not only held in memory
    const reloaded = await job(first.id);
    expect([reloaded.status, reloaded.phase, reloaded.error]).toEqual(["failed", "settled", "cancelled: enough"]);
    await eventually(async () => (await job(second.id)).phase !== "held", 20_000, "second released");
  });

  it("retries a failed job by hand and refuses illegal requests", async () => {
    const { name } = await repoWith(["strong", "ok"]);
    const id = (await push(name)).jobs[0]!.id;
    await eventually(async () => (await job(id)).status === "failed");
    expect((await json(call(`/api/jobs/${id}/retry`, { method: "POST" }))).status).toBe(401);
    const retried = await json(admin(`/api/jobs/${id}/retry`, "POST"));
    expect(retried.status).toBe(200);
    const done = await eventually(async () => {
      const j = await job(id);
      return j.status === "done" && j;
    });
    expect(done.transitions.map((t: Answer) => t.to)).toEqual([
      "created",
      "running",
      "failed",
      "created",
      "running",
      "done",
    ]);
    const again = await json(admin(`/api/jobs/${id}/retry`, "POST"));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("not_retryable");
    expect((await json(admin(`/api/jobs/${id}/cancel`, "POST"))).status).toBe(409);
    expect((await json(admin(`/api/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry`, "POST"))).status).toBe(404);
    expect((await json(admin(`/api/jobs/not-an-id`, "GET"))).status).toBe(404);
  });
});
