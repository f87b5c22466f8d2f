// The dashboard in workerd: each page answers HTML and, to Accept: application/json, the API's data; hostile names
// are escaped everywhere; the safe headers are on every page; bad input gets a clear error page.

import { describe, expect, it } from "vitest";
import { admin, call, json, unique } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";

const HOSTILE = `<script>alert(1)</script>"'\u202Eevil`;
const html = (path: string, headers: Record<string, string> = {}) =>
  call(path, { headers: { Accept: "text/html", ...headers } });

async function hostileRepo() {
  const host = `${unique("evil")}.example.org`;
  const secret = await registerForge(host, "gitea");
  const url = `https://${host}/acme/${HOSTILE}`;
  const created = await json(admin("/api/repos", "POST", { url, pipelines: {} }));
  expect(created.status).toBe(201);
  const body = JSON.stringify({
    ref: "refs/heads/main",
    before: "0000000000000000000000000000000000000000",
    after: "1111111111111111111111111111111111111111",
    repository: { html_url: created.body.repo.url },
    commits: [
      { id: "1111111111111111111111111111111111111111", message: `fix ${HOSTILE}\n\nbody`, url: null, timestamp: null },
    ],
    pusher: { login: HOSTILE },
  });
  const res = await deliver({ forge: "gitea", event: "push", body, secret });
  expect(res.status).toBe(202);
  return { host, repo: created.body.repo as { id: string; url: string } };
}

function expectEscaped(text: string) {
  expect(text).not.toContain("<script>alert");
  expect(text).not.toContain("\u202E");
  expect(text).toContain("[U+202E]evil");
  expect(text).toMatch(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
}

describe("dashboard pages", () => {
  it("draws every list and detail page as HTML with the safe headers, escaping hostile names", async () => {
    const { host, repo } = await hostileRepo();
    const jobs = await json(call(`/api/jobs?repo=${repo.id}`));
    for (const path of [
      "/",
      "/repos",
      `/repos?q=${encodeURIComponent("<script>")}`,
      `/repos/${repo.id}`,
      "/forges",
      `/forges/${host}`,
      "/jobs",
      "/signin",
    ]) {
      const res = await html(path);
      const text = await res.text();
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      const csp = res.headers.get("Content-Security-Policy")!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(text).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/live\.js")/);
      expect(text.length).toBeLessThan(100_000);
      expect(text).not.toContain("<script>alert");
      expect(text).not.toContain("\u202E");
    }
    const page = await (await html(`/repos/${repo.id}`)).text();
    expectEscaped(page); // the commit message and pusher in the event log, as text
    expect(page).toContain(`data-watch="/api/repos/${repo.id}/events/watch"`);
    expect(jobs.status).toBe(200);
  });

  it("answers each page's data as JSON to Accept: application/json, the same as the API", async () => {
    const { repo } = await hostileRepo();
    const asJson = (path: string) => json(call(path, { headers: { Accept: "application/json" } }));
    const one = await asJson(`/repos/${repo.id}`);
    expect(one.status).toBe(200);
    expect(one.body.repo).toEqual((await json(call(`/api/repos/${repo.id}`))).body.repo);
    expect(one.body.events.events.some((e: { kind: string }) => e.kind === "push")).toBe(true);
    const list = await asJson(`/repos?q=${encodeURIComponent("%3Cscript%3E")}`);
    expect(list.body.repos.map((r: { id: string }) => r.id)).toContain(repo.id);
    const none = await asJson(`/repos?q=no-such-repo-anywhere`);
    expect(none.body.repos).toEqual([]);
    const overview = await asJson("/");
    expect(overview.body.reposByForge.length).toBeGreaterThan(0);
    expect(Object.keys(overview.body.hourly)).toEqual(expect.arrayContaining(["archive", "tagbuild", "mirror"]));
    const forges = await asJson("/forges");
    expect(JSON.stringify(forges.body)).not.toContain("secret-of-");
  });

  it("answers unknown ids and bad filters with a clear error page, in HTML and JSON", async () => {
    const missing = await html("/repos/01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("no repo 01ARZ3NDEKTSV4RRFFQ69G5FAV");
    const badCursor = await json(call("/jobs?cursor=nope", { headers: { Accept: "application/json" } }));
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.message).toMatch(/cursor/);
    const badJob = await html(`/jobs/${encodeURIComponent("<b>x</b>")}`);
    expect(badJob.status).toBe(404);
    expect(await badJob.text()).not.toContain("<b>x</b>");
  });

  it("serves the stylesheet and the live script as static files from this origin", async () => {
    const css = await call("/assets/style.css");
    expect(css.headers.get("Content-Type")).toMatch(/^text\/css/);
    expect(await css.text()).toContain("prefers-color-scheme:dark");
    const js = await call("/assets/live.js");
    expect(js.headers.get("Content-Type")).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("WebSocket");
  });
});
