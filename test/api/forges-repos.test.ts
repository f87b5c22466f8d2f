// The admin API for forges and repos: auth, validation, secrets never shown, URL equivalence, listing.

import { describe, expect, it } from "vitest";
import { admin, call, json, unique, type Answer } from "../support/http";

describe("forges API", () => {
  it("registers a forge and never returns its secret or token", async () => {
    const created = await json(
      admin("/api/forges", "POST", {
        host: "Git.Example.ORG",
        kind: "gitea",
        webhookSecret: "s3cret-value",
        token: "tok-123456",
        allowedCidrs: ["10.0.0.0/8"],
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body.forge).toMatchObject({
      host: "git.example.org",
      kind: "gitea",
      baseUrl: "https://git.example.org",
      hasToken: true,
      allowedCidrs: ["10.0.0.0/8"],
      reachable: true,
    });
    const listed = await call("/api/forges");
    const text = await listed.text();
    expect(text).not.toContain("s3cret-value");
    expect(text).not.toContain("tok-123456");
    const one = await json(call("/api/forges/git.example.org"));
    expect(one.body.reachability).toMatchObject({ host: "git.example.org", up: true });
    expect(JSON.stringify(one.body)).not.toContain("s3cret-value");
  });

  it("refuses writes without the admin token", async () => {
    const body = JSON.stringify({ host: "x.test", kind: "github", webhookSecret: "12345678" });
    const none = await json(
      call("/api/forges", { method: "POST", headers: { "Content-Type": "application/json" }, body }),
    );
    expect(none.status).toBe(401);
    const wrong = await json(
      call("/api/forges", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer nope" },
        body,
      }),
    );
    expect(wrong.status).toBe(401);
    expect((await json(call("/api/forges/x.test"))).status).toBe(404);
  });

  it("validates input with clear errors and changes nothing", async () => {
    const cases: [unknown, string][] = [
      [{ host: "https://git.example.net", kind: "gitea", webhookSecret: "12345678" }, "host"],
      [{ host: "ok.test", kind: "bitbucket", webhookSecret: "12345678" }, "kind"],
      [{ host: "ok.test", kind: "github", webhookSecret: "short" }, "webhookSecret"],
      [{ host: "ok.test", kind: "github", webhookSecret: "12345678", allowedCidrs: ["300.1.1.1/8"] }, "allowedCidrs"],
      [{ host: "ok.test", kind: "github", webhookSecret: "12345678", extra: 1 }, "extra"],
      [
        { host: "ok.test", kind: "github", webhookSecret: "12345678", autoRegister: { nosuch: {} } },
        "unknown pipeline",
      ],
      [{ host: "ok.test", kind: "github", webhookSecret: "12345678", baseUrl: "http://ok.test" }, "https"],
      [{ host: "ok.test", kind: "github", webhookSecret: "12345678", baseUrl: "https://10.1.2.3" }, "private"],
    ];
    for (const [body, mention] of cases) {
      const res = await json(admin("/api/forges", "POST", body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(mention);
    }
    const notJson = await json(admin("/api/forges", "POST", undefined, { "Content-Type": "application/json" }));
    expect(notJson.status).toBe(400);
    const wrongType = await json(
      call("/api/forges", {
        method: "POST",
        headers: { Authorization: "Bearer test-admin-token", "Content-Type": "text/plain" },
        body: "{}",
      }),
    );
    expect(wrongType.status).toBe(400);
    expect((await json(call("/api/forges/ok.test"))).status).toBe(404);
  });

  it("refuses a second registration of a host, patches and deletes", async () => {
    const host = `${unique("patch")}.test`;
    expect((await json(admin("/api/forges", "POST", { host, kind: "github", webhookSecret: "12345678" }))).status).toBe(
      201,
    );
    const again = await json(admin("/api/forges", "POST", { host, kind: "github", webhookSecret: "12345678" }));
    expect(again.status).toBe(409);
    const patched = await json(admin(`/api/forges/${host}`, "PATCH", { token: "abcdef", autoRegister: { probe: {} } }));
    expect(patched.status).toBe(200);
    expect(patched.body.forge).toMatchObject({
      hasToken: true,
      autoRegister: { probe: { script: ["ok"], coalesce: false } },
    });
    const off = await json(admin(`/api/forges/${host}`, "PATCH", { autoRegister: false, token: null }));
    expect(off.body.forge).toMatchObject({ hasToken: false, autoRegister: null });
    expect((await json(admin(`/api/forges/${host}`, "DELETE"))).status).toBe(200);
    expect((await json(call(`/api/forges/${host}`))).status).toBe(404);
  });
});

describe("repos API", () => {
  it("registers a repo once: web URL, clone URL and .git name the same repo", async () => {
    const name = unique("same");
    const first = await json(
      admin("/api/repos", "POST", { url: `https://forge.test/acme/${name}`, pipelines: { probe: { script: ["ok"] } } }),
    );
    expect(first.status).toBe(201);
    expect(first.body.repo).toMatchObject({
      id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      url: `https://forge.test/acme/${name}`,
      cloneUrl: `https://forge.test/acme/${name}.git`,
      host: "forge.test",
      error: null,
    });
    for (const url of [
      `https://forge.test/acme/${name}.git`,
      `https://FORGE.test/acme/${name}/`,
      `git@forge.test:acme/${name}.git`,
    ]) {
      const again = await json(admin("/api/repos", "POST", { url, pipelines: { probe: { script: ["ok"] } } }));
      expect(again.status, url).toBe(200);
      expect(again.body).toMatchObject({ created: false, repo: { id: first.body.repo.id } });
    }
    const other = await json(
      admin("/api/repos", "POST", { url: `https://forge.test/acme/${name}.git`, pipelines: {} }),
    );
    expect(other.status).toBe(409);
    expect(other.body.error.message).toContain(first.body.repo.id);
  });

  it("validates the URL and the pipelines config", async () => {
    const cases: [unknown, string][] = [
      [{ url: "not a url" }, "not a repository URL"],
      [{ url: "ftp://forge.test/a/b" }, "scheme"],
      [{ url: "https://forge.test/" }, "no path"],
      [{ url: "http://forge.test/a/b" }, "https"],
      [{ url: "https://192.168.1.10/a/b" }, "private"],
      [{ url: "https://forge.test/a/b", pipelines: { nosuch: {} } }, 'unknown pipeline "nosuch"'],
      [{ url: "https://forge.test/a/b", pipelines: { probe: { script: ["explode"] } } }, "pipelines.probe.script.0"],
      [{ url: "https://forge.test/a/b", pipelines: [] }, "pipelines"],
      [{ pipelines: {} }, "url"],
    ];
    for (const [body, mention] of cases) {
      const res = await json(admin("/api/repos", "POST", body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(mention);
    }
    const listed = (await json(call("/api/repos?host=forge.test"))).body.repos.map((r: Answer) => r.url);
    expect(listed).not.toContain("https://forge.test/a/b");
  });

  it("lists, reads, patches repos and logs config changes", async () => {
    const names = [unique("list"), unique("list"), unique("list")];
    const ids: string[] = [];
    for (const n of names)
      ids.push((await json(admin("/api/repos", "POST", { url: `https://list.test/o/${n}` }))).body.repo.id);
    const page1 = await json(call("/api/repos?host=list.test&limit=2"));
    expect(page1.body.repos.map((r: Answer) => r.id)).toEqual([ids[2], ids[1]]);
    const page2 = await json(call(`/api/repos?host=list.test&limit=2&cursor=${page1.body.next}`));
    expect(page2.body.repos.map((r: Answer) => r.id)).toEqual([ids[0]]);
    expect(page2.body.next).toBeNull();
    const patched = await json(
      admin(`/api/repos/${ids[0]}`, "PATCH", { pipelines: { probe: { script: ["weak", "ok"] } } }),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.repo.pipelines).toEqual({ probe: { script: ["weak", "ok"], coalesce: false } });
    const bad = await json(admin(`/api/repos/${ids[0]}`, "PATCH", { pipelines: { probe: { script: "ok" } } }));
    expect(bad.status).toBe(400);
    expect((await json(call(`/api/repos/${ids[0]}`))).body.repo.pipelines.probe.script).toEqual(["weak", "ok"]);
    const events = (await json(call(`/api/repos/${ids[0]}/events`))).body.events;
    expect(events.map((e: Answer) => e.kind)).toEqual(["registered", "config_changed"]);
    expect(events[1].data.after).toEqual({ probe: { script: ["weak", "ok"], coalesce: false } });
    expect((await json(call(`/api/repos/01ARZ3NDEKTSV4RRFFQ69G5FAV`))).status).toBe(404);
    expect((await json(admin(`/api/repos/01ARZ3NDEKTSV4RRFFQ69G5FAV/error`, "DELETE"))).status).toBe(404);
    expect((await json(call(`/api/repos?limit=0`))).status).toBe(400);
  });
});

describe("the rest", () => {
  it("answers healthz, and unknown routes with 404 JSON", async () => {
    expect(await (await call("/healthz")).json()).toEqual({ ok: true });
    const res = await json(call("/nope"));
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: "not_found", message: "no route for GET /nope" });
  });

  it("lists jobs with filters and validates the query", async () => {
    expect((await json(call("/api/jobs?cursor=bogus"))).status).toBe(400);
    expect((await json(call("/api/jobs?limit=9999"))).status).toBe(400);
    const res = await json(call("/api/jobs?kind=probe&status=done&limit=5"));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jobs: expect.any(Array), next: null });
  });
});
