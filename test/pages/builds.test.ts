// Tag builds, builders and mirrors in the dashboard: lists, filters, JSON variants, the mirror's lag, and the
// tag-build API's own HTML drawn in the dashboard's frame.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { admin, call, json, unique } from "../support/http";
import { mirrorLag } from "../../workers/pages/builds";

const html = async (path: string) => {
  const res = await call(path, { headers: { Accept: "text/html" } });
  return { status: res.status, text: await res.text() };
};

describe("tag builds and builders", () => {
  it("list with filters, and refuse a bad one clearly", async () => {
    const list = await html("/builds");
    expect(list.status).toBe(200);
    expect(list.text).toContain(`href="/builders"`);
    const bad = await html("/builds?status=%3Cnonsense%3E");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("status");
    expect(bad.text).not.toContain("<nonsense>");
    const builders = await json(call("/builders", { headers: { Accept: "application/json" } }));
    expect(builders.body).toMatchObject({ queued: expect.any(Number), builders: expect.any(Array) });
    expect((await html("/builds/01ARZ3NDEKTSV4RRFFQ69G5FAV")).status).toBe(404);
  });

  it("draws the tag-build API's HTML in the dashboard's frame", async () => {
    const res = await html("/api/tagbuild/jobs");
    expect(res.text).toContain(`<link rel="stylesheet" href="/assets/style.css">`);
    expect(res.text).toContain(`<a href="/builds">Tag builds</a>`);
  });
});

describe("mirrors", () => {
  it("shows each mirror with its produced and applied commit and its lag", async () => {
    const name = unique("dash");
    const created = await json(
      admin("/api/mirrors", "POST", {
        source: { url: `${env.GIT_SERVER}/missing/${name}.git`, branch: "main" },
        destination: { url: `${env.GIT_SERVER}/dest/${name}.git`, group: "dest", project: name, branch: "main" },
      }),
    );
    expect(created.status).toBe(201);
    const page = await html("/mirrors");
    expect(page.status).toBe(200);
    expect(page.text).toContain(`dest/${name} main`);
    const data = await json(call("/mirrors", { headers: { Accept: "application/json" } }));
    const m = data.body.mirrors.find((x: { id: string }) => x.id === created.body.mirror.id);
    expect(m).toMatchObject({ lagMs: null, producer: { commit: null } });
    expect((await admin(`/api/mirrors/${m.id}`, "DELETE")).status).toBe(200);
  });

  it("counts lag from when the newest object was produced until the destination holds it", () => {
    const base = {
      id: "x",
      source: { url: "", branch: "" },
      destination: { url: "", group: "", project: "", branch: "" },
      createdAt: 0,
    };
    const consumer = { commit: "a", at: 1, commitTime: null, error: null, errorAt: null };
    const producer = { commit: "b", key: "k", at: 1_000, error: null, errorAt: null };
    expect(mirrorLag({ ...base, producer, consumer }, 61_000)).toBe(60_000);
    expect(mirrorLag({ ...base, producer: { ...producer, commit: "a" }, consumer }, 61_000)).toBeNull();
  });
});
