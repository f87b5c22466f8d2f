// Dashboard sign-in, session cookie and CSRF: a bad token sets nothing; the cookie is HttpOnly, SameSite=Strict,
// Secure off loopback, and signed; every button needs the session and the form's CSRF token.

import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import { admin, call, json, unique } from "../support/http";

const FORM = "application/x-www-form-urlencoded";

/** A visitor: keeps its cookies between requests, as a browser does. */
class Visitor {
  cookies = new Map<string, string>();
  constructor(readonly origin = "https://forgeline.test") {}
  async get(path: string) {
    const res = await call(path, { headers: { Accept: "text/html", Cookie: this.cookie() } });
    this.keep(res);
    return res;
  }
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await call(path, {
      method: "POST",
      redirect: "manual",
      headers: { Accept: "text/html", "Content-Type": FORM, Origin: this.origin, Cookie: this.cookie(), ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    this.keep(res);
    return res;
  }
  csrf(): string {
    return this.cookies.get("fl_csrf")!;
  }
  cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [k, v] = pair!.split("=") as [string, string];
      if (/Max-Age=0/i.test(line) || v === "") this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }
}

async function registeredRepo() {
  const repo = await json(
    admin("/api/repos", "POST", { url: `https://git.example.org/acme/${unique("csrf")}`, pipelines: {} }),
  );
  return repo.body.repo.id as string;
}

describe("signing in", () => {
  it("refuses a wrong token with a clear message and sets no session", async () => {
    const v = new Visitor();
    await v.get("/signin");
    expect(v.csrf()).toMatch(/^[0-9a-f]{48}$/);
    const res = await v.post("/signin", { _csrf: v.csrf(), token: "not-the-token", next: "/" });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("That is not the admin token. Nothing was set");
    expect(v.cookies.has("fl_session")).toBe(false);
    const empty = await v.post("/signin", { _csrf: v.csrf(), token: "" });
    expect(empty.status).toBe(401);
    expect(v.cookies.has("fl_session")).toBe(false);
  });

  it("refuses a sign-in without the form's CSRF token, or from another site", async () => {
    const v = new Visitor();
    await v.get("/signin");
    const noToken = await v.post("/signin", { token: "test-admin-token" });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain("CSRF token");
    const wrong = await v.post("/signin", { _csrf: "0".repeat(48), token: "test-admin-token" });
    expect(wrong.status).toBe(403);
    const foreign = await v.post(
      "/signin",
      { _csrf: v.csrf(), token: "test-admin-token" },
      { Origin: "https://evil.example" },
    );
    expect(foreign.status).toBe(403);
    expect(v.cookies.has("fl_session")).toBe(false);
  });

  it("sets a signed HttpOnly, Secure, SameSite=Strict session on the right token, and signs out", async () => {
    const v = new Visitor();
    await v.get("/signin");
    const res = await v.post("/signin", { _csrf: v.csrf(), token: "test-admin-token", next: "/jobs" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/jobs");
    const set = res.headers.getSetCookie().find((l) => l.startsWith("fl_session="))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/Secure/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(await (await v.get("/")).text()).toContain("Sign out");
    // A forged or altered cookie is no session.
    const forged = new Visitor();
    forged.cookies.set("fl_csrf", v.csrf());
    forged.cookies.set("fl_session", v.cookies.get("fl_session")!.replace(/^admin\.\d/, "admin.9"));
    expect(await (await forged.get("/")).text()).not.toContain("Sign out");
    const out = await v.post("/signout", { _csrf: v.csrf() });
    expect(out.status).toBe(303);
    expect(v.cookies.has("fl_session")).toBe(false);
    expect(await (await v.get("/")).text()).toContain("Sign in");
  });

  it("only lets the next page be a path on this site", async () => {
    const v = new Visitor();
    await v.get("/signin");
    const res = await v.post("/signin", { _csrf: v.csrf(), token: "test-admin-token", next: "//evil.example/x" });
    expect(res.headers.get("Location")).toBe("/");
  });

  it("leaves Secure off only for plain http on loopback (wrangler dev)", async () => {
    const first = await SELF.fetch("http://127.0.0.1:8787/signin");
    const csrf = /fl_csrf=([0-9a-f]+)/.exec(first.headers.getSetCookie().join("\n"))![1]!;
    expect(first.headers.getSetCookie().join("\n")).not.toMatch(/Secure/);
    const res = await SELF.fetch("http://127.0.0.1:8787/signin", {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": FORM, Cookie: `fl_csrf=${csrf}` },
      body: new URLSearchParams({ _csrf: csrf, token: "test-admin-token" }).toString(),
    });
    const set = res.headers.getSetCookie().find((l) => l.startsWith("fl_session="))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).not.toMatch(/Secure/);
  });
});

describe("buttons", () => {
  it("need the session and the CSRF token; with both, they act through the API", async () => {
    const id = await registeredRepo();
    const anon = new Visitor();
    await anon.get(`/repos/${id}`);
    const refused = await anon.post(`/repos/${id}/clear-error`, { _csrf: anon.csrf() });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("sign in with the admin token");

    const v = new Visitor();
    await v.get("/signin");
    await v.post("/signin", { _csrf: v.csrf(), token: "test-admin-token" });
    const noCsrf = await v.post(`/repos/${id}/clear-error`, {});
    expect(noCsrf.status).toBe(403);
    const ok = await v.post(`/repos/${id}/clear-error`, { _csrf: v.csrf() });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("Location")).toBe(`/repos/${id}?done=Error%20cleared.`);
    // An API refusal shows as the page's error, with the API's message.
    const cancel = await v.post(`/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel`, { _csrf: v.csrf() });
    expect(cancel.status).toBe(404);
    expect(await cancel.text()).toContain("no job 01ARZ3NDEKTSV4RRFFQ69G5FAV");
  });
});
