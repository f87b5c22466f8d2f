// /api/mirrors: creating, listing, reading and deleting specs (admin token, validation, conflicts), and the
// Prometheus metrics.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { admin, call, json } from "../support/http";
import { unique } from "./support";
import type { Env } from "../../workers/env";
import { maxTarBytes, reconcileMinutes, roleEnabled } from "../../workers/mirror/roles";
import { produce } from "../../workers/mirror/producer";
import { consume } from "../../workers/mirror/consumer";
import type { JobContext } from "../../workers/core/job-context";
import { JobError } from "../../workers/core/errors";

const source = (name: string) => ({ url: `${env.GIT_SERVER}/missing/${name}.git`, branch: "main" });
const destination = (name: string, branch = "main") => ({
  url: `${env.GIT_SERVER}/dest/${name}.git`,
  group: "dest",
  project: name,
  branch,
});

describe("/api/mirrors", () => {
  it("creates, lists, reads and deletes a mirror; the source repo gets the mirror pipeline", async () => {
    const name = unique("api");
    const created = await json(
      admin("/api/mirrors", "POST", { source: source(name), destination: destination(name, "release/x") }),
    );
    expect(created.status).toBe(201);
    const m = created.body.mirror;
    expect(m.source).toEqual({ url: `${env.GIT_SERVER}/missing/${name}`, branch: "main" });
    expect(m.destination).toEqual({
      url: `${env.GIT_SERVER}/dest/${name}`,
      group: "dest",
      project: name,
      branch: "release/x",
    });
    expect(created.body.jobs.map((j: { kind: string }) => j.kind)).toEqual(["mirror-produce"]);

    const repos = await json(call(`/api/repos?host=${new URL(env.GIT_SERVER).host}`));
    const repo = repos.body.repos.find((r: { url: string }) => r.url === m.source.url);
    expect(repo.pipelines).toEqual({ mirror: {} });

    expect((await json(call("/api/mirrors"))).body.mirrors.map((x: { id: string }) => x.id)).toContain(m.id);
    expect((await json(call(`/api/mirrors/${m.id}`))).body.mirror.id).toBe(m.id);

    const again = await json(
      admin("/api/mirrors", "POST", { source: source(name + "-other"), destination: destination(name, "release/x") }),
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("mirror_exists");

    expect((await admin(`/api/mirrors/${m.id}`, "DELETE")).status).toBe(200);
    expect((await call(`/api/mirrors/${m.id}`)).status).toBe(404);
    expect((await admin(`/api/mirrors/${m.id}`, "DELETE")).status).toBe(404);
  });

  it("refuses bad input with a clear error and stores nothing", async () => {
    const name = unique("bad");
    const before = (await json(call("/api/mirrors"))).body.mirrors.length;
    const cases: [unknown, RegExp][] = [
      [{ source: source(name) }, /destination/],
      [{ source: { ...source(name), branch: "a..b" }, destination: destination(name) }, /branch/],
      [{ source: source(name), destination: { ...destination(name), branch: "-x" } }, /branch/],
      [{ source: source(name), destination: { ...destination(name), group: "../etc" } }, /group/],
      [{ source: { url: "not a url", branch: "main" }, destination: destination(name) }, /URL|url/],
      [{ source: { url: "http://example.com/a/b.git", branch: "main" }, destination: destination(name) }, /https/],
      [{ source: source(name), destination: destination(name), extra: 1 }, /extra|Unrecognized/i],
    ];
    for (const [body, error] of cases) {
      const res = await json(admin("/api/mirrors", "POST", body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(error);
    }
    const anon = await call("/api/mirrors", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ source: source(name), destination: destination(name) }),
    });
    expect(anon.status).toBe(401);
    expect((await admin("/api/mirrors/not-an-id", "DELETE")).status).toBe(404);
    expect((await json(call("/api/mirrors"))).body.mirrors.length).toBe(before);
  });

  it("serves Prometheus metrics", async () => {
    const res = await call("/api/mirrors/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const family of [
      "forgeline_mirror_runs_total",
      "forgeline_mirror_failures_total",
      "forgeline_mirror_last_run_duration_seconds",
      "forgeline_mirror_last_applied_commit_age_seconds",
    ])
      expect(text).toContain(`# TYPE ${family} `);
    // Every sample line is `name{labels} number`.
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#")))
      expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$/);
  });

  it("roles: each deployment runs only its half; a bad MIRROR_ROLE is refused", async () => {
    // MIRROR_ROLE unset (undefined) stands for a deployment that does not set it.
    const as = (role?: string) => ({ ...env, MIRROR_ROLE: role }) as Env;
    expect([roleEnabled(as(), "producer"), roleEnabled(as(), "consumer")]).toEqual([true, true]);
    expect([roleEnabled(as("producer"), "producer"), roleEnabled(as("producer"), "consumer")]).toEqual([true, false]);
    expect([roleEnabled(as("consumer"), "producer"), roleEnabled(as("consumer"), "consumer")]).toEqual([false, true]);
    expect(() => roleEnabled(as("primary"), "producer")).toThrow(/MIRROR_ROLE must be both, producer or consumer/);
    // A job of the other half, delivered to this one, ends as not meant for it before touching anything.
    const ctx = { input: () => ({}), state: "pending" } as unknown as JobContext;
    await expect(produce(ctx, as("consumer"))).rejects.toSatisfy(
      (e: unknown) => e instanceof JobError && e.strength === "not_for_us",
    );
    await expect(consume(ctx, as("producer"))).rejects.toSatisfy(
      (e: unknown) => e instanceof JobError && e.strength === "not_for_us",
    );
    expect(maxTarBytes(as())).toBe(8 * 1024 * 1024);
    expect(reconcileMinutes({ ...as(), MIRROR_RECONCILE_MINUTES: "zero" })).toBe(5);
  });
});
