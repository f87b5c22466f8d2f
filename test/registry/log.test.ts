// The repo event log: cursor reads, the WebSocket watch, and state surviving eviction of every object class.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import { parseRepoUrl } from "../../workers/core/repo-url";

const HOST = "log.forge.test";
let secret: string;

beforeAll(async () => {
  secret = await registerForge(HOST, "github");
});

async function repo(pipelines: Record<string, unknown> = {}) {
  const name = unique("log");
  const url = `https://${HOST}/o/${name}`;
  const res = await json(admin("/api/repos", "POST", { url, pipelines }));
  return { name, url, id: res.body.repo.id as string };
}

function push(name: string, n: number) {
  return deliver({
    forge: "github",
    event: "push",
    secret,
    body: JSON.stringify({
      ref: "refs/heads/main",
      before: "a".repeat(40),
      after: n.toString(16).padStart(40, "0"),
      repository: { html_url: `https://${HOST}/o/${name}` },
    }),
  });
}

function watch(id: string, after?: string) {
  return call(`/api/repos/${id}/events/watch${after ? `?after=${after}` : ""}`, { headers: { Upgrade: "websocket" } });
}

/** Collects messages from a watch socket until `count` events have arrived. */
function collect(ws: WebSocket, count: number): Promise<Answer[]> {
  const events: Answer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${count} events arrived`)), 15_000);
    ws.addEventListener("message", (m) => {
      const msg = JSON.parse(m.data as string);
      if (msg.type !== "event") return;
      events.push(msg.event);
      if (events.length === count) {
        clearTimeout(timer);
        resolve(events);
      }
    });
  });
}

describe("event log", () => {
  it("reads with a cursor: pages, next, willBlock", async () => {
    const r = await repo();
    for (let i = 1; i <= 5; i++) expect((await push(r.name, i)).status).toBe(202);
    const all = (await json(call(`/api/repos/${r.id}/events`))).body;
    expect(all.events.map((e: Answer) => e.kind)).toEqual(["registered", "push", "push", "push", "push", "push"]);
    expect(all.willBlock).toBe(true);
    const ids = all.events.map((e: Answer) => e.id);
    expect([...ids].sort()).toEqual(ids);
    const p1 = (await json(call(`/api/repos/${r.id}/events?limit=2`))).body;
    expect(p1.events.map((e: Answer) => e.id)).toEqual(ids.slice(0, 2));
    expect(p1).toMatchObject({ next: ids[1], willBlock: false });
    const p2 = (await json(call(`/api/repos/${r.id}/events?after=${p1.next}&limit=4`))).body;
    expect(p2.events.map((e: Answer) => e.id)).toEqual(ids.slice(2, 6));
    expect(p2).toMatchObject({ next: ids[5], willBlock: true });
    const caughtUp = (await json(call(`/api/repos/${r.id}/events?after=${ids[5]}`))).body;
    expect(caughtUp).toEqual({ events: [], next: ids[5], willBlock: true });
    expect((await json(call(`/api/repos/${r.id}/events?after=nope`))).status).toBe(400);
  });

  it("watches over a WebSocket: the backlog after the cursor, then each new event", async () => {
    const r = await repo();
    await push(r.name, 1);
    const first = (await json(call(`/api/repos/${r.id}/events`))).body.events;
    const res = await watch(r.id, first[0].id);
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const arriving = collect(ws, 3);
    await push(r.name, 2);
    await push(r.name, 3);
    const events = await arriving;
    expect(events.map((e) => e.kind)).toEqual(["push", "push", "push"]);
    expect(events.map((e) => e.data.after.slice(-1))).toEqual(["1", "2", "3"]);
    ws.close(1000, "done");
    const plain = await json(call(`/api/repos/${r.id}/events/watch`));
    expect(plain.status).toBe(400);
  });

  it("keeps watching across hibernation and eviction of the repo object", async () => {
    const r = await repo();
    const res = await watch(r.id);
    const ws = res.webSocket!;
    ws.accept();
    const arriving = collect(ws, 2); // "registered" then the push
    await evictDurableObject(env.REPO.get(env.REPO.idFromName(parseRepoUrl(r.url).key)));
    await push(r.name, 9);
    expect((await arriving).map((e) => e.kind)).toEqual(["registered", "push"]);
    ws.close(1000, "done");
  });
});

describe("state survives eviction", () => {
  it("RepoObject keeps config, log and chain; JobObject keeps its job; the chain goes on", async () => {
    const r = await repo({ probe: { script: ["hang", "ok"] } });
    const first = (await json(push(r.name, 1))).body.jobs[0].id;
    await eventually(async () => (await json(call(`/api/jobs/${first}`))).body.job.phase === "running");
    const second = (await json(push(r.name, 2))).body.jobs[0].id;
    await evictDurableObject(env.REPO.get(env.REPO.idFromName(parseRepoUrl(r.url).key)));
    await evictDurableObject(env.JOB.get(env.JOB.idFromName(first)));
    expect((await json(call(`/api/repos/${r.id}`))).body.repo.pipelines).toEqual({
      probe: { script: ["hang", "ok"], coalesce: false },
    });
    expect((await json(call(`/api/repos/${r.id}/events`))).body.events).toHaveLength(3);
    const j = (await json(call(`/api/jobs/${first}`))).body.job;
    expect(j).toMatchObject({ status: "running", phase: "running", attempts: 1 });
    expect((await json(call(`/api/jobs/${second}`))).body.job.phase).toBe("held");
    // The evicted chain still releases the second job when the first ends.
    expect((await json(admin(`/api/jobs/${first}/cancel`, "POST"))).status).toBe(200);
    await eventually(
      async () => (await json(call(`/api/jobs/${second}`))).body.job.phase !== "held",
      20_000,
      "second released",
    );
  });

  it("ForgeObject keeps its reachability", async () => {
    const host = `${unique("down")}.forge.test`;
    const stub = env.FORGE.get(env.FORGE.idFromName(host)) as Answer;
    await stub.reportFailure(host, `https://${host}/o/r.git/info/refs?service=git-upload-pack`, "connect ECONNREFUSED");
    await evictDurableObject(env.FORGE.get(env.FORGE.idFromName(host)));
    const s = await stub.status(host);
    expect(s).toMatchObject({ up: false, failures: 1, lastFailure: "connect ECONNREFUSED" });
    await stub.reportSuccess(host);
  });
});
