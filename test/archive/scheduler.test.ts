// The recurrent-visit policy (intervals per offset, jitter, how visits move the offset, disabling after three
// failures, which origins are due), then the scheduler against D1, the repo chains, real visits and the cron.

import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  afterVisit,
  budgetOf,
  dueOrigins,
  intervalDays,
  jitteredInterval,
  newSchedule,
  seenAgain,
  visitQueued,
  type OriginSchedule,
} from "../../workers/archive/scheduler";
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../workers/index";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { archiveSchedule } from "../../schema";
import { getSchedule, scheduleTick, visitStarted } from "../../workers/archive/scheduler-table";
import { originId } from "../../workers/archive/hashes";
import { latestVisit } from "../../workers/archive/lookup";
import { admin, json } from "../support/http";
import { makeRepo, repoName, saveNow, settled, sh, visit, jobView } from "./visit-support";

const T0 = Date.UTC(2026, 0, 1);

function origin(n: number, patch: Partial<OriginSchedule> = {}): OriginSchedule {
  return { ...newSchedule(`id${n}`, `https://git.example/o/${n}`, T0), ...patch };
}

describe("intervals", () => {
  it("is 1 day at offsets 0–1, 2 days at 2–4, 4^(offset−4) days from 5", () => {
    const expected = [1, 1, 2, 2, 2, 4, 16, 64, 256, 1024, 4096];
    expect(expected.map((_, o) => intervalDays(o))).toEqual(expected);
  });

  it("clamps offsets outside 0..10", () => {
    expect(intervalDays(-3)).toBe(1);
    expect(intervalDays(42)).toBe(4096);
    expect(intervalDays(Number.NaN)).toBe(1);
  });

  it("jitters by at most ±10%, spanning the whole range", () => {
    for (const o of [0, 3, 7]) {
      const base = intervalDays(o) * DAY_MS;
      expect(jitteredInterval(o, 0)).toBe(Math.round(base * 0.9));
      expect(jitteredInterval(o, 0.5)).toBe(base);
      expect(jitteredInterval(o, 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.1));
      expect(jitteredInterval(o, 0.999999)).toBeGreaterThan(Math.round(base * 1.09));
      for (let i = 0; i < 50; i++) {
        const v = jitteredInterval(o, Math.random());
        expect(v).toBeGreaterThanOrEqual(Math.round(base * 0.9));
        expect(v).toBeLessThanOrEqual(Math.round(base * 1.1));
      }
    }
  });
});

describe("after a visit", () => {
  it("an eventful visit brings the offset down by 2 (not below 0), an uneventful one up by 1 (not above 10)", () => {
    const s = origin(1, { intervalOffset: 5 });
    expect(afterVisit(s, "eventful", T0, 0.5).intervalOffset).toBe(3);
    expect(afterVisit(origin(1, { intervalOffset: 1 }), "eventful", T0, 0.5).intervalOffset).toBe(0);
    expect(afterVisit(s, "uneventful", T0, 0.5).intervalOffset).toBe(6);
    expect(afterVisit(origin(1, { intervalOffset: 10 }), "uneventful", T0, 0.5).intervalOffset).toBe(10);
  });

  it("schedules the next visit one jittered interval of the new offset later, and frees the origin", () => {
    const s = visitQueued(origin(2, { intervalOffset: 4 }), "job-1", T0);
    const after = afterVisit(s, "uneventful", T0 + 1000, 0.5);
    expect(after.nextVisitAt).toBe(T0 + 1000 + 4 * DAY_MS);
    expect(after.runningJobId).toBeNull();
    expect(after.lastVisitAt).toBe(T0 + 1000);
  });

  it("three failed or not-found visits in a row disable the origin; a success in between resets the count", () => {
    let s = origin(3, { intervalOffset: 2 });
    s = afterVisit(s, "failed", T0, 0.5);
    s = afterVisit(s, "not_found", T0, 0.5);
    expect(s.disabled).toBe(false);
    expect(s.failures).toBe(2);
    expect(s.intervalOffset).toBe(2);
    const reset = afterVisit(s, "uneventful", T0, 0.5);
    expect(reset.failures).toBe(0);
    s = afterVisit(s, "failed", T0, 0.5);
    expect(s.failures).toBe(3);
    expect(s.disabled).toBe(true);
  });

  it("a disabled origin comes back, due now, when it is seen again", () => {
    let s = origin(4);
    for (let i = 0; i < 3; i++) s = afterVisit(s, "failed", T0, 0.5);
    expect(dueOrigins([s], T0 + 30 * DAY_MS, 10)).toEqual([]);
    const back = seenAgain(s, T0 + 5000);
    expect(back.disabled).toBe(false);
    expect(back.failures).toBe(0);
    expect(back.nextVisitAt).toBe(T0 + 5000);
    expect(dueOrigins([back], T0 + 5000, 10)).toEqual([back]);
    // Seeing an enabled origin changes nothing but when it was seen.
    const seen = seenAgain(back, T0 + 9000);
    expect({ ...seen, lastSeenAt: 0, updatedAt: 0 }).toEqual({ ...back, lastSeenAt: 0, updatedAt: 0 });
  });
});

describe("due origins", () => {
  it("takes due origins only, oldest lag first, at most the budget, never one with a visit running or disabled", () => {
    const now = T0 + 10 * DAY_MS;
    const all = [
      origin(1, { nextVisitAt: now - 1 * DAY_MS }),
      origin(2, { nextVisitAt: now - 5 * DAY_MS }),
      origin(3, { nextVisitAt: now + 1 }), // not due yet
      origin(4, { nextVisitAt: now - 9 * DAY_MS, runningJobId: "job-4" }), // running
      origin(5, { nextVisitAt: now - 7 * DAY_MS, disabled: true }),
      origin(6, { nextVisitAt: now - 3 * DAY_MS }),
      origin(7, { nextVisitAt: now }),
    ];
    expect(dueOrigins(all, now, 10).map((s) => s.originId)).toEqual(["id2", "id6", "id1", "id7"]);
    expect(dueOrigins(all, now, 2).map((s) => s.originId)).toEqual(["id2", "id6"]);
    expect(dueOrigins(all, now, 0)).toEqual([]);
  });

  it("reads the budget from ARCHIVE_SCHEDULER_BUDGET, defaulting to 20 on anything but a positive integer", () => {
    expect(budgetOf(undefined)).toBe(20);
    expect(budgetOf("5")).toBe(5);
    for (const bad of ["", "0", "-3", "2.5", "many"]) expect(budgetOf(bad)).toBe(20);
  });
});

// ---- the scheduler against D1, the repo chains and real visits ----
const db = () => drizzle(env.DB);

async function dueAt(origin: string, at: number, patch: Partial<OriginSchedule> = {}) {
  await db()
    .update(archiveSchedule)
    .set({ nextVisitAt: at, ...patch })
    .where(eq(archiveSchedule.originId, originId(origin)));
}

/** Schedules of other tests are pushed into the future so that each test sees only its own origins due. */
async function onlyDue(origins: string[]) {
  const ids = new Set(origins.map(originId));
  for (const row of await db().select().from(archiveSchedule))
    if (!ids.has(row.originId))
      await db()
        .update(archiveSchedule)
        .set({ nextVisitAt: Date.now() + 100 * DAY_MS })
        .where(eq(archiveSchedule.originId, row.originId));
}

const tickEnv = (budget: string) => ({ DB: env.DB, REPO: env.REPO, ARCHIVE_SCHEDULER_BUDGET: budget });

describe("scheduling real origins", () => {
  it("a visit puts its origin on the schedule: due a jittered day later, free", async () => {
    const repo = await makeRepo(repoName("sched"), `echo a > a && git add a && git commit -qm a`);
    const before = Date.now();
    const job = await visit(repo.url);
    expect(job.status).toBe("full");
    const s = await getSchedule(env, repo.origin);
    expect(s).toMatchObject({ url: repo.origin, intervalOffset: 0, failures: 0, disabled: false, runningJobId: null });
    expect(s!.nextVisitAt).toBeGreaterThanOrEqual(before + 0.9 * DAY_MS);
    expect(s!.nextVisitAt).toBeLessThanOrEqual(Date.now() + 1.1 * DAY_MS);
  });

  it("a tick enqueues due origins oldest lag first within the budget, never one already running; visits move the offset", async () => {
    const repos = await Promise.all(
      [1, 2, 3].map((i) => makeRepo(repoName(`tick${i}`), `echo ${i} > f && git add f && git commit -qm c${i}`)),
    );
    for (const r of repos) expect((await visit(r.url)).status).toBe("full");
    const now = Date.now();
    await onlyDue(repos.map((r) => r.origin));
    await dueAt(repos[0]!.origin, now - 1 * DAY_MS, { intervalOffset: 5 });
    await dueAt(repos[1]!.origin, now - 3 * DAY_MS, { intervalOffset: 5 });
    await dueAt(repos[2]!.origin, now - 2 * DAY_MS, { intervalOffset: 5 });

    const first = await scheduleTick(tickEnv("2"), now);
    expect(first.enqueued.map((e) => e.url)).toEqual([repos[1]!.origin, repos[2]!.origin]);
    const second = await scheduleTick(tickEnv("2"), now);
    expect(second.enqueued.map((e) => e.url)).toEqual([repos[0]!.origin]);
    expect((await scheduleTick(tickEnv("2"), now)).enqueued).toEqual([]);

    for (const e of [...first.enqueued, ...second.enqueued]) {
      const done = await settled(e.job);
      expect(done.status).toBe("full");
      expect(done.input.trigger).toBe("scheduler");
      expect(done.result.result).toBe("uneventful");
    }
    for (const r of repos)
      expect(await getSchedule(env, r.origin)).toMatchObject({ intervalOffset: 6, runningJobId: null, failures: 0 });
  });

  it("three not-found visits in a row disable an origin; save code now brings it back", async () => {
    const name = repoName("vanishing");
    const repo = await makeRepo(name, `echo a > a && git add a && git commit -qm a`);
    expect((await visit(repo.url)).status).toBe("full");
    await sh(`rm -rf acme/${name}.git`);
    for (let i = 1; i <= 3; i++) {
      await onlyDue([repo.origin]);
      await dueAt(repo.origin, Date.now() - 1000);
      const tick = await scheduleTick(tickEnv("20"), Date.now());
      expect(tick.enqueued.map((e) => e.url)).toEqual([repo.origin]);
      expect((await settled(tick.enqueued[0]!.job)).status).toBe("not_found");
      expect(await getSchedule(env, repo.origin)).toMatchObject({ failures: i, disabled: i >= 3 });
    }
    await dueAt(repo.origin, Date.now() - 1000);
    expect((await scheduleTick(tickEnv("20"), Date.now())).enqueued).toEqual([]);
    // Seen again through the API: enabled, and visited (not found again, but no longer disabled).
    await settled(await saveNow(repo.url));
    expect(await getSchedule(env, repo.origin)).toMatchObject({ disabled: false, failures: 1 });
  });

  it("a visit job that ends without the loader (cancelled) frees its origin at once (its settling tells the scheduler) and fails its visit", async () => {
    const name = repoName("cancelled");
    await makeRepo(name, `echo a > a && git add a && git commit -qm a`);
    const sw = repoName("sw");
    await fetch(`${env.GIT_SERVER}/_control/switch`, {
      method: "POST",
      body: JSON.stringify({ name: sw, status: 503 }),
    });
    const url = `${env.GIT_SERVER}/_fault/switch/${sw}/acme/${name}.git`;
    const id = await saveNow(url);
    for (let i = 0; i < 400 && (await jobView(id))?.phase !== "waiting"; i++)
      await new Promise((r) => setTimeout(r, 50));
    const origin = (await jobView(id)).input.origin;
    expect(await getSchedule(env, origin)).toMatchObject({ runningJobId: id });
    expect((await json(admin(`/api/jobs/${id}/cancel`, "POST"))).status).toBe(200);
    await settled(id);
    // Freed by the job's settle hook when the cancel committed, before any tick.
    expect(await getSchedule(env, origin)).toMatchObject({ runningJobId: null, failures: 1 });
    expect(await latestVisit(env, origin)).toMatchObject({ status: "failed" });
    // The next tick finds nothing of it to release.
    await onlyDue([]);
    await scheduleTick(tickEnv("20"), Date.now());
    expect(await getSchedule(env, origin)).toMatchObject({ runningJobId: null, failures: 1 });
    await fetch(`${env.GIT_SERVER}/_control/switch`, {
      method: "POST",
      body: JSON.stringify({ name: sw, status: null }),
    });
  });

  it("the Worker's cron trigger runs the scheduler", async () => {
    const repo = await makeRepo(repoName("cron"), `echo a > a && git add a && git commit -qm a`);
    expect((await visit(repo.url)).status).toBe("full");
    await onlyDue([repo.origin]);
    await dueAt(repo.origin, Date.now() - 1000);
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const s = await getSchedule(env, repo.origin);
    expect(s!.runningJobId).toBeTruthy();
    expect((await settled(s!.runningJobId!)).status).toBe("full");
  });
});

describe("recurrent: false", () => {
  it("stops an existing schedule: the origin leaves the scheduler", async () => {
    const url = `https://example.org/acme/${repoName("nonrecurrent")}`;
    await visitStarted(env, { origin: url, trigger: "save" }, "job-a", Date.now());
    expect(await getSchedule(env, url)).toMatchObject({ url, runningJobId: "job-a" });
    await visitStarted(env, { origin: url, trigger: "webhook", recurrent: false }, "job-b", Date.now());
    expect(await getSchedule(env, url)).toBeNull();
  });
});
