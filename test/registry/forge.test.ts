// ForgeObject: a forge reported down is checked on its alarm at increasing intervals against a real
// HTTP server, and the jobs waiting for it are woken when it answers again.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import type { ForgeObject } from "../../durable-objects/forge";
import { preflightInterval } from "../../durable-objects/forge";
import { remote } from "../../workers/core/remote";

function forge(host: string) {
  return remote<ForgeObject>(env.FORGE, host);
}

function forgeStub(host: string) {
  return env.FORGE.get(env.FORGE.idFromName(host));
}

async function setSwitch(name: string, status: number | null) {
  await fetch(`${env.GIT_SERVER}/_control/switch`, { method: "POST", body: JSON.stringify({ name, status }) });
}

/** Makes the next preflight due now, then runs the alarm. */
async function preflightNow(host: string) {
  await runInDurableObject(forgeStub(host), async (_instance, state) => {
    const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM forge").one().doc);
    doc.nextPreflightAt = Date.now() - 1;
    state.storage.sql.exec("UPDATE forge SET doc = ?", JSON.stringify(doc));
  });
  await evictDurableObject(forgeStub(host)); // reload from storage, as after a restart
  expect(await runDurableObjectAlarm(forgeStub(host))).toBe(true);
}

describe("forge reachability", () => {
  it("backs off 30 s, 1 min, 2 min … capped at 1 h", () => {
    expect([1, 2, 3, 4, 8, 20].map(preflightInterval)).toEqual([
      30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000,
    ]);
  });

  it("stays down while the preflight fails, comes up when it answers, and wakes waiting jobs", async () => {
    const host = `${unique("flaky")}.forge.test`;
    const sw = unique("sw");
    const secret = await registerForge(host, "github");
    await setSwitch(sw, 503);
    const probeUrl = `${env.GIT_SERVER}/_fault/switch/${sw}/nothing.git/info/refs?service=git-upload-pack`;

    // A job waiting (deferred) that will be woken when the forge is up.
    const name = unique("r");
    await json(
      admin("/api/repos", "POST", {
        url: `https://${host}/o/${name}`,
        pipelines: { probe: { script: ["defer", "ok"] } },
      }),
    );
    const pushed = await json(
      deliver({
        forge: "github",
        event: "push",
        secret,
        body: JSON.stringify({
          ref: "refs/heads/main",
          before: "a".repeat(40),
          after: "b".repeat(40),
          repository: { html_url: `https://${host}/o/${name}` },
        }),
      }),
    );
    const jobId = pushed.body.jobs[0].id;
    await eventually(
      async () => (await json(call(`/api/jobs/${jobId}`))).body.job.phase === "waiting",
      20_000,
      "job deferred",
    );

    const down = await forge(host).reportFailure(host, probeUrl, "connect ECONNREFUSED 127.0.0.1", jobId);
    expect(down).toMatchObject({ up: false, failures: 1, waiting: 1 });
    expect(down.nextPreflightAt! - down.lastFailureAt!).toBe(30_000);
    expect((await json(call(`/api/forges/${host}`))).body.forge).toMatchObject({
      reachable: false,
      lastFailure: "connect ECONNREFUSED 127.0.0.1",
    });

    await preflightNow(host);
    const still = await forge(host).status(host);
    expect(still).toMatchObject({ up: false, failures: 2, lastFailure: "preflight: HTTP 503" });
    expect(still.nextPreflightAt! - still.lastCheckAt!).toBe(60_000);
    await preflightNow(host);
    const third = await forge(host).status(host);
    expect(third.nextPreflightAt! - third.lastCheckAt!).toBe(120_000);

    await setSwitch(sw, null); // the forge answers again (a 404 for a missing repo still means it is up)
    await preflightNow(host);
    expect(await forge(host).status(host)).toMatchObject({ up: true, failures: 0, downSince: null, waiting: 0 });
    expect((await json(call(`/api/forges/${host}`))).body.forge.reachable).toBe(true);
    const woken = await eventually(
      async () => {
        const j = (await json(call(`/api/jobs/${jobId}`))).body.job;
        return j.status === "done" && j;
      },
      20_000,
      "woken job done",
    );
    expect(woken.log.map((l: Answer) => l.line)).toContain(
      `dispatched (message 2): woken: forge ${host} is reachable again`,
    );
  });

  it("runs a preflight on demand through the API", async () => {
    const host = `${unique("api")}.forge.test`;
    await registerForge(host, "github");
    await forge(host).reportFailure(host, `${env.GIT_SERVER}/_fault/status/502/x.git/info/refs`, "HTTP 502");
    const res = await json(admin(`/api/forges/${host}/preflight`, "POST"));
    expect(res.status).toBe(200);
    expect(res.body.reachability).toMatchObject({ up: false, failures: 2, lastFailure: "preflight: HTTP 502" });
    await forge(host).reportSuccess(host);
    expect((await json(call(`/api/forges/${host}`))).body.reachability.up).toBe(true);
  });

  it("refuses a probe URL the outbound policy forbids, and counts it as a failure", async () => {
    const host = `${unique("policy")}.forge.test`;
    await forge(host).reportFailure(host, "https://10.0.0.1/x.git/info/refs", "timeout");
    const s = await forge(host).preflight();
    expect(s).toMatchObject({ up: false, failures: 2 });
    expect(s!.lastFailure).toContain("private or link-local");
    await runInDurableObject(forgeStub(host), (_i, state) => state.storage.deleteAlarm());
  });
});
