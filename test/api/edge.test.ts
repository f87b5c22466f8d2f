// The API's edge, as Hono's bearerAuth, bodyLimit and cors and zod-validator now provide it: every refusal in
// the error shape `{ error: { code, message } }` (and SWH's beside it under /api/1) with the status it had.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { buildApp } from "../../workers/app";
import { testRegistryFor } from "../worker";
import { MAX_API_BYTES } from "../../workers/core/limits";
import { ADMIN, admin, call, json, unique, type Answer } from "../support/http";

const app = buildApp(testRegistryFor);

const JSON_TYPE = { "Content-Type": "application/json" };
const forge = () => ({ host: `${unique("edge")}.test`, kind: "github", webhookSecret: "12345678" });
const forgeExists = async (host: string) => (await call(`/api/forges/${host}`)).status === 200;

describe("admin token (bearerAuth)", () => {
  it("answers 401 unauthorized for a missing, malformed or wrong header, and creates nothing", async () => {
    const body = forge();
    for (const authorization of [
      undefined,
      "Basic dGVzdDp0ZXN0",
      "Bearer",
      "Bearer ",
      "Bearer test-admin-token extra",
      "Bearer test-admin-tokeN",
      "Bearertest-admin-token",
    ]) {
      const headers: Record<string, string> = {
        ...JSON_TYPE,
        ...(authorization !== undefined ? { Authorization: authorization } : {}),
      };
      const res = await json(call("/api/forges", { method: "POST", headers, body: JSON.stringify(body) }));
      expect(res.status, String(authorization)).toBe(401);
      expect(res.body).toEqual({
        error: { code: "unauthorized", message: "this call needs Authorization: Bearer <admin token>" },
      });
    }
    expect(await forgeExists(body.host)).toBe(false);
  });

  it("takes the scheme in any case", async () => {
    const body = forge();
    const res = await call("/api/forges", {
      method: "POST",
      headers: { ...JSON_TYPE, Authorization: "bearer test-admin-token" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
  });

  it("answers 503 admin_disabled when the deployment has no token, or one bearer tokens cannot carry", async () => {
    for (const token of [undefined, "", "two words", "semi;colon"]) {
      const res = await app.request(
        "https://forgeline.test/api/forges",
        {
          method: "POST",
          headers: { ...JSON_TYPE, Authorization: `Bearer ${token ?? "x"}` },
          body: JSON.stringify(forge()),
        },
        { ...env, ADMIN_TOKEN: token },
      );
      expect(res.status, String(token)).toBe(503);
      expect(((await res.json()) as Answer).error.code).toBe("admin_disabled");
    }
  });

  it("answers refusals under /api/1 in SWH's shape too", async () => {
    const res = await json(call("/api/1/origin/save/git/url/https://git.example.org/o/r/", { method: "POST" }));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ exception: "UnauthorizedExc", error: { code: "unauthorized" } });
  });
});

describe("JSON bodies (bodyLimit, zod-validator)", () => {
  it("refuses each bad body with its code, and creates nothing", async () => {
    const body = forge();
    const text = JSON.stringify(body);
    const cases: [RequestInit, number, string][] = [
      [{ headers: { ...ADMIN }, body: text }, 400, "unsupported_media_type"],
      [{ headers: { ...ADMIN, "Content-Type": "text/plain" }, body: text }, 400, "unsupported_media_type"],
      [{ headers: { ...ADMIN, "Content-Type": "application/json-seq" }, body: text }, 400, "unsupported_media_type"],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: "{not json" }, 400, "malformed_json"],
      [{ headers: { ...ADMIN, ...JSON_TYPE } }, 400, "malformed_json"],
      [
        { headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify({ ...body, kind: "bitbucket" }) },
        400,
        "invalid_input",
      ],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify([body]) }, 400, "invalid_input"],
      [
        { headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify({ ...body, pad: "x".repeat(MAX_API_BYTES) }) },
        413,
        "too_large",
      ],
    ];
    for (const [init, status, code] of cases) {
      const res = await json(call("/api/forges", { method: "POST", ...init }));
      expect([res.status, res.body.error?.code], code).toEqual([status, code]);
      expect(typeof res.body.error.message).toBe("string");
    }
    expect(await forgeExists(body.host)).toBe(false);
    const ok = await json(
      call("/api/forges", {
        method: "POST",
        headers: { ...ADMIN, "Content-Type": "application/json; charset=utf-8" },
        body: text,
      }),
    );
    expect(ok.status).toBe(201);
  });

  it("cuts a streamed body off as it passes the limit", async () => {
    const body = forge();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(JSON.stringify(body).slice(0, -1) + ', "pad": "'));
        for (let i = 0; i < 2; i++) c.enqueue(new Uint8Array(MAX_API_BYTES / 2 + 1).fill(0x61));
        c.enqueue(new TextEncoder().encode('"}'));
        c.close();
      },
    });
    const res = await json(
      call("/api/forges", {
        method: "POST",
        headers: { ...ADMIN, ...JSON_TYPE },
        body: stream,
        duplex: "half",
      } as RequestInit),
    );
    expect([res.status, res.body.error.code]).toEqual([413, "too_large"]);
    expect(await forgeExists(body.host)).toBe(false);
  });

  it("names the fields that are wrong", async () => {
    const res = await json(admin("/api/forges", "POST", { ...forge(), webhookSecret: "short", extra: 1 }));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("webhookSecret");
    expect(res.body.error.message).toContain("extra");
  });
});

describe("optional JSON bodies", () => {
  it("validates a body given to cancel, and takes none (or an empty one) as {}", async () => {
    // A job that is not listed is 404 only after the body passed: the body is checked first.
    const missing = "/api/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel";
    const cases: [RequestInit, number, string | undefined][] = [
      [{ headers: { ...ADMIN } }, 404, "not_found"],
      [{ headers: { ...ADMIN, ...JSON_TYPE } }, 404, "not_found"],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: "  " }, 404, "not_found"],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify({ reason: "enough" }) }, 404, "not_found"],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: "{oops" }, 400, "malformed_json"],
      [{ headers: { ...ADMIN }, body: JSON.stringify({ reason: "enough" }) }, 400, "unsupported_media_type"],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify({ reason: 5 }) }, 400, "invalid_input"],
      [{ headers: { ...ADMIN, ...JSON_TYPE }, body: JSON.stringify({ why: "x" }) }, 400, "invalid_input"],
      [{ headers: {} }, 401, "unauthorized"],
    ];
    for (const [init, status, code] of cases) {
      const res = await json(call(missing, { method: "POST", ...init }));
      expect([res.status, res.body.error?.code], JSON.stringify(init)).toEqual([status, code]);
    }
  });
});

describe("query strings (one style)", () => {
  it("refuses what is not a whole number in range, and takes an empty value as absent", async () => {
    for (const q of [
      "limit=abc",
      "limit=1e2",
      "limit=0",
      "limit=501",
      "limit=-1",
      "limit=0x10",
      "limit=%205",
      "cursor=bogus",
      "limit=1&limit=2",
    ]) {
      const res = await json(call(`/api/jobs?${q}`));
      expect([res.status, res.body.error?.code], q).toEqual([400, "invalid_query"]);
    }
    expect((await json(call("/api/jobs?limit="))).status).toBe(200);
    expect((await json(call("/api/repos?limit=500"))).status).toBe(200);
    expect((await json(call("/api/repos?cursor=nope"))).body.error.code).toBe("invalid_query");
    expect(
      (await json(call("/api/tagbuild/jobs?limit=x", { headers: { Accept: "application/json" } }))).body.error.code,
    ).toBe("invalid_query");
  });

  it("answers the archive's bad queries as invalid_query in SWH's shape", async () => {
    for (const path of [
      `/api/1/snapshot/${"a".repeat(40)}/?branches_count=0`,
      `/api/1/snapshot/${"a".repeat(40)}/?target_types=tree`,
      `/api/1/revision/${"a".repeat(40)}/log/?per_page=51`,
      `/api/1/revision/${"a".repeat(40)}/log/?offset=x`,
    ]) {
      const res = await json(call(path));
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatchObject({ exception: "BadInputExc", error: { code: "invalid_query" } });
    }
    // A malformed id is still named before the query.
    expect((await json(call(`/api/1/snapshot/xyz/?branches_count=0`))).body.error.code).toBe("invalid_id");
  });
});

describe("CORS on the archive's read API (cors)", () => {
  it("lets any page read, answers preflights, and leaves the admin API alone", async () => {
    const found = await call(`/api/1/snapshot/${"a".repeat(40)}/`);
    expect(found.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const preflight = await call("/api/1/known/", {
      method: "OPTIONS",
      headers: {
        Origin: "https://page.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(preflight.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    const known = await call("/api/1/known/", {
      method: "POST",
      headers: { ...JSON_TYPE, Origin: "https://page.example" },
      body: "[]",
    });
    expect(known.status).toBe(200);
    expect(known.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(
      (await call("/api/jobs", { headers: { Origin: "https://page.example" } })).headers.get(
        "Access-Control-Allow-Origin",
      ),
    ).toBeNull();
  });
});
