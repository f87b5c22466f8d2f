// Workflows: move-repo (started → released → acquired → moved → committed) and freeze/unfreeze, serialized with the
// repo's jobs, each with its own event stream; and every bad input the issue lists for them.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import { outcomes, ran, released } from "./lifecycle-probe";

const HOST = "flow.forge.test";
const OBSERVER = { Authorization: "Bearer test-observer-token", "Content-Type": "application/json" };
let secret: string;

beforeAll(async () => {
  secret = await registerForge(HOST, "github");
});

async function register(path: string, script: ("ok" | "hold")[] = []) {
  const url = `https://${HOST}/${path}`;
  outcomes.set(url, script);
  const res = await json(admin("/api/repos", "POST", { url, pipelines: { lifeprobe: {} } }));
  expect(res.status).toBe(201);
  const id = res.body.repo.id as string;
  await eventually(async () => (await kinds(id)).includes("init_completed"), 15_000, "init done");
  return { id, url, path };
}

async function kinds(id: string): Promise<string[]> {
  return (await json(call(`/api/repos/${id}/events?limit=500`))).body.events.map((e: Answer) => e.kind);
}

async function push(path: string, n = 1) {
  const body = JSON.stringify({
    ref: "refs/heads/main",
    before: "a".repeat(40),
    after: n.toString(16).padStart(40, "0"),
    repository: { html_url: `https://${HOST}/${path}` },
  });
  const res = await json(deliver({ forge: "github", event: "push", secret, body }));
  expect(res.status).toBe(202);
  return res.body as { event: string; jobs: { id: string }[] };
}

function workflowObject(id: string) {
  return env.WORKFLOW.get(env.WORKFLOW.idFromName(id));
}

async function job(id: string) {
  return (await json(call(`/api/jobs/${id}`))).body.job;
}

async function workflowEvents(id: string): Promise<Answer[]> {
  return (await json(call(`/api/workflows/${id}/events`))).body.events;
}

function step(workflow: string, event: string, headers: Record<string, string> = OBSERVER) {
  return json(
    call(`/api/workflows/${workflow}/events`, { method: "POST", headers, body: JSON.stringify({ event, by: "test" }) }),
  );
}

describe("move-repo", () => {
  it("waits for running jobs, holds new ones, takes released then acquired, moves and commits; id and log stay", async () => {
    const tag = unique("m");
    const r = await register(`old-${tag}/widget`);
    outcomes.set(r.url, ["hold"]);
    const running = (await push(r.path)).jobs[0]!.id;
    await eventually(async () => (await job(running)).phase === "running", 15_000, "job running");

    const started = await json(admin(`/api/repos/${r.id}/move`, "POST", { url: `https://${HOST}/new-${tag}/widget` }));
    expect(started.status).toBe(202);
    const wf = started.body.workflow as string;
    expect(wf).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const held = (await push(r.path, 2)).jobs[0]!.id;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await job(held)).phase).toBe("held");

    // Out of order, or not an observer: refused, nothing recorded.
    const early = await step(wf, "acquired");
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("out_of_order");
    expect(
      (await step(wf, "released", { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" }))
        .status,
    ).toBe(403);
    expect((await step(wf, "released", { "Content-Type": "application/json" })).status).toBe(401);
    expect((await workflowEvents(wf)).map((e) => e.kind)).toEqual(["move_started"]);

    expect((await step(wf, "released")).body.workflow.state).toBe("released");
    expect((await step(wf, "released")).status).toBe(200); // an observer retrying: already recorded
    expect((await step(wf, "acquired")).body.workflow.state).toBe("acquired");
    // The job from before the move still runs: the move waits for it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await json(call(`/api/workflows/${wf}`))).body.workflow.state).toBe("acquired");
    released.add(r.id);

    await eventually(
      async () => (await json(call(`/api/workflows/${wf}`))).body.workflow.state === "committed",
      15_000,
      "committed",
    );
    const events = await workflowEvents(wf);
    expect(events.map((e) => e.kind)).toEqual(["move_started", "released", "acquired", "moved", "committed"]);
    expect(events[0].data).toMatchObject({ from: r.url, to: `https://${HOST}/new-${tag}/widget` });
    expect(events[1].data.by).toBe("observer-1 (test)");
    await eventually(async () => (await job(held)).status === "done", 15_000, "held job ran after the move");

    const moved = (await json(call(`/api/repos/${r.id}`))).body.repo;
    expect(moved).toMatchObject({
      id: r.id,
      url: `https://${HOST}/new-${tag}/widget`,
      cloneUrl: `https://${HOST}/new-${tag}/widget.git`,
    });
    const log = await kinds(r.id);
    expect(log.slice(0, 4)).toEqual(["registered", "init_started", "init_completed", "push"]);
    expect(log).toEqual(expect.arrayContaining(["move_started", "moved"]));
    // The pipeline's own move plan ran, with the new URL and the old one.
    await eventually(
      async () => ran.get(r.id)!.some((j) => j.step === "moved" && j.url === moved.url),
      15_000,
      "moved job",
    );

    // The new URL is the same repo: its webhooks land in this log; registering it answers this repo.
    await push(`new-${tag}/widget`, 3);
    expect((await kinds(r.id)).filter((k) => k === "push")).toHaveLength(3);
    const again = await json(
      admin("/api/repos", "POST", {
        url: `https://${HOST}/new-${tag}/widget`,
        pipelines: { lifeprobe: { label: "x" } },
      }),
    );
    expect(again.status).toBe(200);
    expect(again.body.repo.id).toBe(r.id);

    // The registry: accepted, then moved, from the old path to the new.
    const registry = await eventually(
      async () => {
        const all = (await json(call(`/api/registries/${HOST}/events?prefix=new-${tag}/`))).body.events;
        return all.some((e: Answer) => e.kind === "repo_moved") && all;
      },
      10_000,
      "repo_moved",
    );
    expect(registry.map((e: Answer) => [e.kind, e.data.repo])).toEqual([
      ["repo_move_accepted", r.id],
      ["repo_moved", r.id],
    ]);
    expect(registry[0].data).toMatchObject({ workflow: wf, path: `old-${tag}/widget`, to: `new-${tag}/widget` });
    expect(registry[1].data).toMatchObject({
      workflow: wf,
      path: `new-${tag}/widget`,
      from: `old-${tag}/widget`,
      to: `new-${tag}/widget`,
    });
  });

  it("refuses a move to a URL already registered, and a move of a repo that is mid-move; nothing changes", async () => {
    const tag = unique("b");
    const a = await register(`${tag}/a`);
    const b = await register(`${tag}/b`);
    const taken = await json(admin(`/api/repos/${a.id}/move`, "POST", { url: b.url }));
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("url_taken");
    expect(await kinds(a.id)).not.toContain("move_started");

    const first = await json(admin(`/api/repos/${a.id}/move`, "POST", { url: `https://${HOST}/${tag}/c` }));
    expect(first.status).toBe(202);
    const second = await json(admin(`/api/repos/${a.id}/move`, "POST", { url: `https://${HOST}/${tag}/d` }));
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("repo_busy");
    const freeze = await json(admin(`/api/repos/${a.id}/freeze`, "POST"));
    expect(freeze.status).toBe(409);
    // The refused destination was not reserved: another repo may move there.
    const other = await json(admin(`/api/repos/${b.id}/move`, "POST", { url: `https://${HOST}/${tag}/d` }));
    expect(other.status).toBe(202);
    expect((await kinds(a.id)).filter((k) => k === "move_started")).toHaveLength(1);
    expect((await json(admin(`/api/repos/${a.id}/move`, "POST", { url: "not a url" }))).status).toBe(400);
    expect((await json(admin(`/api/repos/${a.id}/move`, "POST", {}))).status).toBe(400);
    // Both moves run to the end, which also removes their observer-deadline alarms.
    for (const wf of [first.body.workflow, other.body.workflow]) {
      await step(wf, "released");
      await step(wf, "acquired");
      await eventually(
        async () => (await json(call(`/api/workflows/${wf}`))).body.workflow.state === "committed",
        15_000,
        "committed",
      );
    }
    expect((await json(call(`/api/repos/${a.id}`))).body.repo.url).toBe(`https://${HOST}/${tag}/c`);
  });

  it("goes on without an observer that never answers, once its deadline has passed", async () => {
    const r = await register(`${unique("t")}/lonely`);
    const wf = (
      await json(admin(`/api/repos/${r.id}/move`, "POST", { url: `https://${HOST}/elsewhere/${unique("l")}` }))
    ).body.workflow;
    await eventually(async () => (await workflowEvents(wf)).length === 1, 10_000, "started");
    await runInDurableObject(workflowObject(wf), async (instance) => {
      const run = (instance as unknown as { run: { deadline: number } }).run;
      run.deadline = Date.now() - 1;
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    await eventually(
      async () => (await json(call(`/api/workflows/${wf}`))).body.workflow.state === "committed",
      15_000,
      "committed",
    );
    const events = await workflowEvents(wf);
    expect(events.map((e) => e.kind)).toEqual(["move_started", "released", "acquired", "moved", "committed"]);
    expect(events[1].data.reason).toMatch(/no observer answered within 600 s/);
  });
});

describe("freeze-repo and unfreeze-repo", () => {
  it("takes the last job first, then records forge events but starts no job; unfreeze resumes", async () => {
    const r = await register(`${unique("f")}/ice`);
    const started = await json(admin(`/api/repos/${r.id}/freeze`, "POST"));
    expect(started.status).toBe(202);
    const wf = started.body.workflow;
    await eventually(
      async () => (await json(call(`/api/workflows/${wf}`))).body.workflow.state === "completed",
      15_000,
      "frozen",
    );
    expect((await workflowEvents(wf)).map((e) => e.kind)).toEqual(["started", "completed"]);
    expect(ran.get(r.id)!.map((j) => j.step)).toEqual(["init", "before-freeze"]);
    expect(await kinds(r.id)).toEqual(["registered", "init_started", "init_completed", "freeze_started", "frozen"]);

    const frozenPush = await push(r.path, 7);
    expect(frozenPush.jobs).toEqual([]);
    const again = await json(admin(`/api/repos/${r.id}/freeze`, "POST"));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_frozen");

    const thaw = (await json(admin(`/api/repos/${r.id}/unfreeze`, "POST"))).body.workflow;
    await eventually(
      async () => (await json(call(`/api/workflows/${thaw}`))).body.workflow.state === "completed",
      15_000,
      "unfrozen",
    );
    expect((await json(admin(`/api/repos/${r.id}/unfreeze`, "POST"))).body.error.code).toBe("not_frozen");
    const resumed = await push(r.path, 8);
    expect(resumed.jobs).toHaveLength(1);
    expect((await kinds(r.id)).slice(-4)).toEqual(["push", "unfreeze_started", "unfrozen", "push"]);
    const registry = await eventually(
      async () => {
        const all = (await json(call(`/api/registries/${HOST}/events?prefix=${r.path.split("/")[0]}`))).body.events;
        return all.length === 3 && all;
      },
      10_000,
      "registry events",
    );
    expect(registry.map((e: Answer) => e.kind)).toEqual(["repo_added", "repo_frozen", "repo_unfrozen"]);
    // A workflow's step posted on a freeze: it has none.
    expect((await step(wf, "released")).body.error.code).toBe("wrong_step");
  });

  it("serves each workflow's stream over a WebSocket, and 404 for an unknown one", async () => {
    const r = await register(`${unique("w")}/watch`);
    const wf = (await json(admin(`/api/repos/${r.id}/freeze`, "POST"))).body.workflow;
    await eventually(
      async () => (await json(call(`/api/workflows/${wf}`))).body.workflow.state === "completed",
      15_000,
      "frozen",
    );
    const res = await call(`/api/workflows/${wf}/events/watch`, { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: Answer[] = [];
    ws.addEventListener("message", (m) => {
      messages.push(JSON.parse(m.data as string));
    });
    ws.accept();
    await eventually(async () => messages.some((m) => m.type === "caught-up"), 10_000, "caught-up");
    expect(messages.filter((m) => m.type === "event").map((m) => m.event.kind)).toEqual(["started", "completed"]);
    ws.close(1000, "done");
    expect((await json(call(`/api/workflows/01ARZ3NDEKTSV4RRFFQ69G5FAV`))).status).toBe(404);
    expect((await json(call(`/api/workflows/nope/events`))).status).toBe(404);
  });
});
