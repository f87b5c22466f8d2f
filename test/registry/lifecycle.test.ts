// Lifecycle in the repo stream: init_started/init_completed, stored errors (format, strong at once, weak after 5
// retries), init not re-run while an error is stored and re-run once it is cleared; observers' error reports.

import { describe, expect, it } from "vitest";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { outcomes, ran, type LifeStep } from "./lifecycle-probe";

const HOST = "life.forge.test";
const OBSERVER = { Authorization: "Bearer test-observer-token" };
const STORED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /;

async function register(pipelines: Record<string, unknown> = {}, script?: LifeStep[]) {
  const url = `https://${HOST}/acme/${unique("r")}`;
  if (script) outcomes.set(url, script);
  const res = await json(admin("/api/repos", "POST", { url, pipelines }));
  expect(res.status).toBe(201);
  return { id: res.body.repo.id as string, url };
}

async function kinds(id: string): Promise<string[]> {
  return (await json(call(`/api/repos/${id}/events?limit=500`))).body.events.map((e: Answer) => e.kind);
}

async function repo(id: string) {
  return (await json(call(`/api/repos/${id}`))).body.repo;
}

function report(id: string, body: unknown, headers: Record<string, string> = OBSERVER) {
  return json(
    call(`/api/repos/${id}/error`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

describe("stored errors", () => {
  it("stores a strong error at once as '<RFC3339> <message>', cut to 117 + '...', and tells the registry", async () => {
    const r = await register();
    const long = "x".repeat(300);
    const res = await report(r.id, { strength: "strong", message: `shadow broken ${long}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: true });
    const stored = (await repo(r.id)).error.message as string;
    expect(stored).toMatch(STORED);
    expect(stored.length).toBe(120);
    expect(stored.endsWith("...")).toBe(true);
    expect(stored.slice(21, 117)).toBe(`observer-1: shadow broken ${long}`.slice(0, 96));
    const short = await register();
    await report(short.id, { strength: "strong", message: "  a\n short   one " });
    expect((await repo(short.id)).error.message).toMatch(new RegExp(`${STORED.source}observer-1: a short one$`));
    expect(await kinds(r.id)).toEqual(["registered", "error_set"]);
    const path = new URL(r.url).pathname.slice(1);
    await eventually(
      async () => {
        const events = (await json(call(`/api/registries/${HOST}/events?prefix=${path}`))).body.events;
        return events.some((e: Answer) => e.kind === "repo_error_set" && e.data.message === stored);
      },
      10_000,
      "repo_error_set in the registry",
    );
  });

  it("counts weak errors and stores the one after 5 retries", async () => {
    const r = await register();
    for (let i = 1; i <= 5; i++) {
      const res = await report(r.id, { strength: "weak", message: `fetch failed ${i}` });
      expect(res.body).toMatchObject({ stored: false, weakErrors: i });
      expect((await repo(r.id)).error).toBeNull();
    }
    const sixth = await report(r.id, { strength: "weak", message: "fetch failed 6" });
    expect(sixth.body).toMatchObject({ stored: true });
    expect((await repo(r.id)).error.message).toMatch(/Z observer-1: fetch failed 6$/);
    // Cleared: the count starts again.
    await admin(`/api/repos/${r.id}/error`, "DELETE");
    expect((await report(r.id, { strength: "weak", message: "again" })).body).toMatchObject({
      stored: false,
      weakErrors: 1,
    });
  });

  it("refuses reports without an observer's (or the admin's) token, or with a bad body, and changes nothing", async () => {
    const r = await register();
    expect((await report(r.id, { strength: "strong", message: "m" }, {})).status).toBe(401);
    const wrong = await report(r.id, { strength: "strong", message: "m" }, { Authorization: "Bearer not-a-token" });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe("not_an_observer");
    expect((await report(r.id, { strength: "medium", message: "m" })).status).toBe(400);
    expect((await report(r.id, { strength: "strong" })).status).toBe(400);
    expect((await report("01ARZ3NDEKTSV4RRFFQ69G5FAV", { strength: "strong", message: "m" })).status).toBe(404);
    expect((await repo(r.id)).error).toBeNull();
    expect(await kinds(r.id)).toEqual(["registered"]);
  });
});

describe("init", () => {
  it("logs init_started and init_completed once every pipeline's first work is done", async () => {
    const r = await register({ lifeprobe: {} });
    await eventually(async () => (await kinds(r.id)).includes("init_completed"), 15_000, "init_completed");
    expect(await kinds(r.id)).toEqual(["registered", "init_started", "init_completed"]);
    expect(ran.get(r.id)).toEqual([{ step: "init", url: r.url }]);
    const plain = await register();
    expect(await kinds(plain.id)).toEqual(["registered"]);
  });

  it("does not re-run init while an error is stored; clearing it re-runs the pending step", async () => {
    const r = await register({ lifeprobe: {} }, ["strong"]);
    const errored = await eventually(
      async () => {
        const x = await repo(r.id);
        return x.error ? x : undefined;
      },
      15_000,
      "init error stored",
    );
    expect(errored.error.message).toMatch(/^\S+Z lifeprobe: /);
    // Taking the pipeline off and on again would start its init; with the error stored it does not.
    await admin(`/api/repos/${r.id}`, "PATCH", { pipelines: {} });
    await admin(`/api/repos/${r.id}`, "PATCH", { pipelines: { lifeprobe: { label: "y" } } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran.get(r.id)!.filter((j) => j.step === "init")).toHaveLength(1);
    expect(await kinds(r.id)).not.toContain("init_completed");
    const cleared = await json(admin(`/api/repos/${r.id}/error`, "DELETE"));
    expect(cleared.body.repo.error).toBeNull();
    await eventually(
      async () => (await kinds(r.id)).includes("init_completed"),
      15_000,
      "init_completed after clearing",
    );
    expect(ran.get(r.id)!.filter((j) => j.step === "init")).toHaveLength(2);
    expect(await kinds(r.id)).toEqual([
      "registered",
      "init_started",
      "error_set",
      "config_changed",
      "config_changed",
      "init_started",
      "error_cleared",
      "init_completed",
    ]);
  });
});
