// PIPELINES: a deployment runs all pipelines, or only the ones it names, and the registry built from the one
// explicit list gates everything by it: routes, repo configs, planning, job creation, job handlers, a
// pipeline's own queues and the cron.

import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  createMessageBatch,
  evictDurableObject,
  getQueueResult,
  runInDurableObject,
} from "cloudflare:test";
import { z } from "zod";
import worker, { testModules } from "../worker";
import { enabledModules, Registry } from "../../workers/kinds";
import { modules } from "../../workers/pipelines";
import { handleQueue, DISABLED_QUEUE_RETRY_SECONDS } from "../../workers/queues";
import { defineKind } from "../../workers/core/machine";
import type { PipelineModule } from "../../workers/core/pipeline";
import type { ForgeEvent } from "../../workers/core/forge-event";
import type { JobRecord, JobSpec } from "../../workers/core/job";
import { parseRepoUrl } from "../../workers/core/repo-url";
import { ulid } from "../../workers/core/ids";
import { remote } from "../../workers/core/remote";
import { RepoObject as RepoChain } from "../../durable-objects/repo";
import { JobObject as JobMachine } from "../../durable-objects/job";
import { ADMIN, unique } from "../support/http";

function fake(name: string, extra: Partial<PipelineModule> = {}): PipelineModule {
  return { pipeline: { name, config: z.object({}), kinds: [], plan: () => [] }, handlers: {}, ...extra };
}

/** Only the probe pipeline (and the archive) run: tagbuild and mirror are off. */
const ONLY = "probe, archive";
const onlyEnv = { ...env, PIPELINES: ONLY };
const only = new Registry(testModules, onlyEnv);

function pushEvent(repoUrl: string): ForgeEvent {
  const { host, pathname } = new URL(repoUrl);
  const [owner = "", name = ""] = pathname.slice(1).split("/");
  return {
    id: ulid(),
    delivery: unique("delivery"),
    forge: "github",
    host,
    kind: "push",
    repo: {
      url: repoUrl,
      cloneUrl: `${repoUrl}.git`,
      fullName: `${owner}/${name}`,
      owner,
      name,
      defaultBranch: "main",
      private: false,
    },
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after: "1".repeat(40),
    commits: [],
    pusher: "alice",
    receivedAt: new Date().toISOString(),
  };
}

describe("enabledModules", () => {
  const all = [fake("archive"), fake("tagbuild"), fake("mirror")];
  const names = (env: { PIPELINES?: string }) => enabledModules(env, all).map((m) => m.pipeline.name);

  it("runs every pipeline by default or with *", () => {
    expect(names({})).toEqual(["archive", "tagbuild", "mirror"]);
    expect(names({ PIPELINES: "" })).toEqual(["archive", "tagbuild", "mirror"]);
    expect(names({ PIPELINES: "*" })).toEqual(["archive", "tagbuild", "mirror"]);
  });

  it("runs only the named ones, ignoring spaces and unknown names", () => {
    expect(names({ PIPELINES: "mirror" })).toEqual(["mirror"]);
    expect(names({ PIPELINES: " tagbuild , archive " })).toEqual(["archive", "tagbuild"]);
    expect(names({ PIPELINES: "mirror,publish" })).toEqual(["mirror"]);
  });
});

describe("the registry", () => {
  it("is built from the list it is given, and refuses a list that does not add up", () => {
    expect(new Registry(modules).pipelineNames()).toEqual(["archive", "tagbuild", "mirror", "publish"]);
    expect(new Registry(modules).kind("probe")).toBeUndefined(); // nothing registers itself
    expect(new Registry(testModules).kind("probe")?.pipeline).toBe("probe");
    expect(() => new Registry([fake("a"), fake("a")])).toThrow(/pipeline a is listed twice/);
    const kind = defineKind({
      kind: "k",
      pipeline: "b",
      states: ["s", "f"],
      initial: "s",
      final: [],
      transitions: {},
      failed: "f",
    });
    expect(
      () => new Registry([fake("a", { pipeline: { name: "a", config: z.object({}), kinds: [kind], plan: () => [] } })]),
    ).toThrow(/job kind k belongs to pipeline b, not a/);
    const own = { name: "b", config: z.object({}), kinds: [kind], plan: () => [] };
    expect(() => new Registry([fake("b", { pipeline: own })])).toThrow(/declares job kind k but no handler/);
  });

  it("runs the cron tasks of enabled pipelines only", () => {
    expect(new Registry(modules, { PIPELINES: "mirror" }).cronTasks().map((t) => t.name)).toEqual(["mirror-reconcile"]);
    expect(new Registry(modules).cronTasks().map((t) => t.name)).toEqual([
      "archive-scheduler",
      "tagbuild",
      "mirror-reconcile",
    ]);
  });

  it("plans only enabled pipelines' jobs and names the ones it skipped", () => {
    const url = "https://plan.forge.test/acme/widget";
    const facts = { id: "r", url, cloneUrl: `${url}.git`, host: "plan.forge.test" };
    const config = { probe: { script: ["ok"], coalesce: false }, mirror: {} };
    const plan = only.planJobs(pushEvent(url), config, facts);
    expect(plan.planned.map((p) => p.kind)).toEqual(["probe"]);
    expect(plan.skipped).toEqual(["mirror"]);
    expect(new Registry(testModules).planJobs(pushEvent(url), config, facts).planned.map((p) => p.kind)).toEqual([
      "probe",
      "mirror-produce",
    ]);
  });
});

describe("a deployment that runs only some pipelines", () => {
  it("answers another pipeline's routes with a clear 404 and serves its own", async () => {
    const mirrorOnly = { ...env, PIPELINES: "mirror" };
    const off = await worker.fetch(new Request("http://forgeline.test/api/tagbuild/jobs"), mirrorOnly);
    expect(off.status).toBe(404);
    const body = await off.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("pipeline_disabled");
    expect(body.error.message).toBe('the tagbuild pipeline is not enabled in this deployment (PIPELINES="mirror")');
    const on = await worker.fetch(
      new Request("http://forgeline.test/api/tagbuild/jobs", { headers: { Accept: "application/json" } }),
      env,
    );
    expect(on.status).toBe(200);
    expect((await worker.fetch(new Request("http://forgeline.test/api/mirrors/metrics"), mirrorOnly)).status).toBe(200);
  });

  it("refuses a repo config or a forge's autoRegister naming a disabled pipeline, and creates nothing", async () => {
    const url = `https://gate.forge.test/acme/${unique("repo")}`;
    const post = (path: string, body: unknown) =>
      worker.fetch(
        new Request(`https://forgeline.test${path}`, {
          method: "POST",
          headers: { ...ADMIN, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        }),
        onlyEnv,
      );
    const repo = await post("/api/repos", { url, pipelines: { probe: {}, tagbuild: { distro: "debian" } } });
    expect(repo.status).toBe(400);
    const refused = await repo.json<{ error: { code: string; message: string } }>();
    expect(refused.error.code).toBe("invalid_pipelines");
    expect(refused.error.message).toContain(
      `the tagbuild pipeline is not enabled in this deployment (PIPELINES="${ONLY}")`,
    );
    const listed = await worker.fetch(new Request("https://forgeline.test/api/repos?host=gate.forge.test"), onlyEnv);
    expect((await listed.json<{ repos: unknown[] }>()).repos).toEqual([]);

    const host = `${unique("gate")}.forge.test`;
    const forge = await post("/api/forges", {
      host,
      kind: "gitea",
      webhookSecret: "s".repeat(32),
      autoRegister: { mirror: {} },
    });
    expect(forge.status).toBe(400);
    expect((await forge.json<{ error: { message: string } }>()).error.message).toContain(
      "the mirror pipeline is not enabled",
    );
    expect((await worker.fetch(new Request(`https://forgeline.test/api/forges/${host}`), onlyEnv)).status).toBe(404);

    // Turning a disabled pipeline off is no problem; the same config is accepted where the pipeline runs.
    expect((await post("/api/repos", { url, pipelines: { probe: {}, tagbuild: false } })).status).toBe(201);
    expect(env.PIPELINES).toBe("");
  });

  it("RepoObject plans no job of a disabled pipeline configured on the repo, and says so", async () => {
    const url = `https://gate.forge.test/acme/${unique("plan")}`;
    const address = parseRepoUrl(url);
    const stub = env.REPO.get(env.REPO.idFromName(address.key));
    await runInDurableObject(stub, async (_instance, state) => {
      // The same object, as a deployment running only ONLY would build it.
      const repo = new RepoChain(state, onlyEnv, only);
      await repo.register(address, { probe: { script: ["ok"], coalesce: false }, mirror: {} }, "test");
      const result = await repo.receive(pushEvent(url), address, null);
      if (result.status !== "accepted") throw new Error(`expected accepted, got ${result.status}`);
      expect(result.jobs.map((j) => j.kind)).toEqual(["probe"]);
      expect(result.skipped).toEqual([
        `the mirror pipeline is not enabled in this deployment (PIPELINES="${ONLY}"): nothing planned for it`,
      ]);
      // A submit (API, scheduler) of a disabled pipeline's job is refused outright.
      await expect(
        repo.submit(address, [{ kind: "mirror-produce", input: { sourceUrl: url, branch: "main" } }]),
      ).rejects.toThrow(/the mirror pipeline is not enabled/);
    });
  });

  it("a job of a disabled pipeline is not created; one already queued fails saying why; it is not retried there", async () => {
    const id = ulid();
    const spec: JobSpec = {
      id,
      kind: "probe",
      repoKey: unique("gate-key"),
      repoId: null,
      repoUrl: "https://gate.forge.test/a/b",
      input: { script: ["ok"] },
      eventId: null,
    };
    const noProbe = new Registry(testModules, { PIPELINES: "archive" });
    const stub = env.JOB.get(env.JOB.idFromName(id));
    const job = remote(env.JOB, id);
    await runInDurableObject(stub, async (_instance, state) => {
      const object = new JobMachine(state, { ...env, PIPELINES: "archive" }, noProbe);
      await expect(object.create(spec)).rejects.toThrow(
        'the probe pipeline is not enabled in this deployment (PIPELINES="archive")',
      );
    });
    expect(await job.view()).toBeNull();

    // Created where probe runs, and (as if its message were on the queue) queued without sending one.
    await job.create(spec);
    await runInDurableObject(stub, async (_instance, state) => {
      const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM job").one().doc) as JobRecord;
      state.storage.sql.exec("UPDATE job SET doc = ?", JSON.stringify({ ...doc, phase: "queued", dispatch: 1 }));
    });
    await evictDurableObject(stub);

    // The jobs queue of a deployment that does not run probe.
    const batch = createMessageBatch("forgeline-jobs", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { job: id, dispatch: 1 } },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(batch, { ...env, PIPELINES: "archive" }, noProbe);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    const view = await job.view();
    expect(view?.state).toBe("failed");
    expect(view?.phase).toBe("settled");
    expect(view?.error).toBe('the probe pipeline is not enabled in this deployment (PIPELINES="archive")');

    await runInDurableObject(stub, async (_instance, state) => {
      const object = new JobMachine(state, { ...env, PIPELINES: "archive" }, noProbe);
      const retried = await object.retry("by hand", true);
      expect(retried.ok).toBe(false);
      if (!retried.ok) expect(retried.code).toBe("pipeline_disabled");
    });
  });

  it("a disabled pipeline's own queue is not handled, and its messages come back later rather than being dropped", async () => {
    const body = {
      account: "a",
      bucket: "forgeline-sync",
      action: "PutObject",
      object: { key: "k", size: 1, eTag: "e" },
    };
    const batch = createMessageBatch("forgeline-sync-events", [
      { id: "s1", timestamp: new Date(), attempts: 1, body },
      { id: "s2", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    const logged = vi.spyOn(console, "error");
    try {
      await handleQueue(batch, onlyEnv, only);
      expect(logged).toHaveBeenCalledWith(
        `queue forgeline-sync-events: the mirror pipeline is not enabled in this deployment (PIPELINES="${ONLY}"); 2 message(s) ` +
          `offered again in ${DISABLED_QUEUE_RETRY_SECONDS}s (dropped by the queue once its retries are used up)`,
      );
    } finally {
      logged.mockRestore();
    }
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryBatch.retry).toBe(true);
    expect(result.ackAll).toBe(false);
  });
});
