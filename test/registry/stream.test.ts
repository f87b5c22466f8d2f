// The registry stream: one per forge host, ULID cursors, prefix filters (normalized, never `acme-corp/` for `acme/`),
// the list of registries, and the hibernating WebSocket watch with a prefix.

import { describe, expect, it, beforeAll } from "vitest";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { registerForge } from "../support/webhooks";

const HOST = "stream.forge.test";

beforeAll(async () => {
  await registerForge(HOST, "gitea");
});

async function register(path: string) {
  const res = await json(admin("/api/repos", "POST", { url: `https://${HOST}/${path}`, pipelines: {} }));
  expect(res.status).toBe(201);
  return res.body.repo.id as string;
}

async function page(query: string) {
  return json(call(`/api/registries/${HOST}/events?${query}`));
}

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

describe("registry stream", () => {
  it("logs repo_added with the repo's id and path; pages by ULID cursor with willBlock", async () => {
    const tag = unique("t");
    const a = await register(`acme/${tag}-a`);
    const b = await register(`acme-corp/${tag}-b`);
    const c = await register(`acme/sub/${tag}-c`);
    const all = await eventually(
      async () => {
        const r = (await page("limit=500")).body;
        const mine = r.events.filter((e: Answer) => String(e.data.path).includes(tag));
        return mine.length === 3 && r;
      },
      10_000,
      "three repo_added events",
    );
    const mine = all.events.filter((e: Answer) => String(e.data.path).includes(tag));
    expect(mine.map((e: Answer) => [e.kind, e.data.repo, e.data.path])).toEqual([
      ["repo_added", a, `acme/${tag}-a`],
      ["repo_added", b, `acme-corp/${tag}-b`],
      ["repo_added", c, `acme/sub/${tag}-c`],
    ]);
    expect(all.willBlock).toBe(true);
    for (const e of mine) expect(e.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    // Paging one at a time walks the same events in order, and ends in willBlock.
    let cursor = "";
    const walked: string[] = [];
    for (;;) {
      const p = (await page(`after=${cursor}&limit=1`)).body;
      walked.push(...p.events.map((e: Answer) => e.id));
      cursor = p.next;
      if (p.willBlock) break;
    }
    expect(walked).toEqual(all.events.map((e: Answer) => e.id));
    expect((await page(`after=${cursor}`)).body).toEqual({ events: [], next: cursor, willBlock: true });
  });

  it("filters by prefix with trailing slashes normalized: acme/ never matches acme-corp/", async () => {
    const tag = unique("p");
    await register(`${tag}/one`);
    await register(`${tag}-corp/two`);
    await register(`${tag}/deep/three`);
    await eventually(async () => (await page(`prefix=${tag}-corp/`)).body.events.length === 1, 10_000, "events logged");
    for (const prefix of [`${tag}/`, tag, `${tag}//`, `/${tag}/`]) {
      const r = (await page(`prefix=${encodeURIComponent(prefix)}`)).body;
      expect(r.events.map((e: Answer) => e.data.path)).toEqual([`${tag}/one`, `${tag}/deep/three`]);
      expect(r.willBlock).toBe(true);
    }
    // A filtered reader's cursor moves past events it was not shown, so it does not rescan them.
    const filtered = (await page(`prefix=${tag}-corp`)).body;
    const unfiltered = (await page("limit=500")).body;
    expect(filtered.next).toBe(unfiltered.next);
    expect(filtered.events.map((e: Answer) => e.data.path)).toEqual([`${tag}-corp/two`]);
  });

  it("refuses a cursor that is not a ULID, and changes nothing", async () => {
    const before = (await page("limit=500")).body;
    for (const after of ["nope", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVI"]) {
      const r = await page(`after=${after}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("invalid_query");
      expect(r.body.error.message).toContain("ULID");
    }
    expect((await page("limit=500")).body).toEqual(before);
  });

  it("lists registries: registered forges and hosts of registered repos", async () => {
    const other = `${unique("other")}.forge.test`;
    await json(admin("/api/repos", "POST", { url: `https://${other}/x/y`, pipelines: {} }));
    const list = (await json(call("/api/registries"))).body.registries;
    expect(list).toEqual(
      expect.arrayContaining([
        { host: other, forge: null, repos: 1 },
        expect.objectContaining({ host: HOST, forge: "gitea" }),
      ]),
    );
    const mine = list.find((r: Answer) => r.host === HOST);
    expect(mine.repos).toBeGreaterThanOrEqual(6);
  });

  it("watches over a hibernating WebSocket: backlog after the cursor, caught-up, then new events under the prefix", async () => {
    const tag = unique("w");
    await register(`${tag}/first`);
    await eventually(async () => (await page(`prefix=${tag}/`)).body.events.length === 1, 10_000, "first logged");
    const res = await call(`/api/registries/${HOST}/events/watch?prefix=${tag}`, { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: Answer[] = [];
    ws.addEventListener("message", (m) => {
      messages.push(JSON.parse(m.data as string));
    });
    const got = collect(ws, 3);
    ws.accept();
    await eventually(async () => messages.some((m) => m.type === "caught-up"), 10_000, "caught-up");
    await register(`${tag}-corp/not-mine`);
    await register(`${tag}/second`);
    await register(`${tag}/third`);
    const events = await got;
    expect(events.map((e) => e.data.path)).toEqual([`${tag}/first`, `${tag}/second`, `${tag}/third`]);
    expect(messages.findIndex((m) => m.type === "caught-up")).toBe(1);
    ws.close(1000, "done");
    const plain = await json(call(`/api/registries/${HOST}/events/watch`));
    expect(plain.status).toBe(400);
  });
});
