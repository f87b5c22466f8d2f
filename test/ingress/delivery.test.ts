// The ingress's answers: every bad input gets its status and stores nothing; redeliveries create nothing new.

import { describe, expect, it, beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import githubPush from "../../../shared/fixtures/webhooks/github-push-branch.go-playground.json?raw";
import { admin, call, json, unique, type Answer } from "../support/http";
import { deliver, registerForge, signedHeaders } from "../support/webhooks";
import { hmacSha256Hex } from "../../workers/core/digest";
import { parseRepoUrl } from "../../workers/core/repo-url";

const HOST = "ingress.forge.test";
let secret: string;

function push(repo: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    ref: "refs/heads/main",
    before: "a".repeat(40),
    after: "b".repeat(40),
    repository: {
      html_url: `https://${HOST}/team/${repo}`,
      full_name: `team/${repo}`,
      name: repo,
      owner: { login: "team" },
    },
    pusher: { name: "bob" },
    commits: [],
    ...extra,
  });
}

async function register(name: string, pipelines: Record<string, unknown> = { probe: { script: ["ok"] } }) {
  const res = await json(admin("/api/repos", "POST", { url: `https://${HOST}/team/${name}`, pipelines }));
  expect(res.status).toBe(201);
  return res.body.repo.id as string;
}

async function eventsOf(repoId: string) {
  return (await json(call(`/api/repos/${repoId}/events`))).body.events as Answer[];
}

/** The repo's object holds no storage at all (tables included). */
async function storesNothing(repoUrl: string) {
  const stub = env.REPO.get(env.REPO.idFromName(parseRepoUrl(repoUrl).key));
  return runInDurableObject(
    stub,
    (_i, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray().length === 0,
  );
}

beforeAll(async () => {
  secret = await registerForge(HOST, "github");
  await registerForge("fenced.forge.test", "github", { allowedCidrs: ["192.0.2.0/24", "2001:db8::/32"] });
  await registerForge("auto.forge.test", "gitea", { autoRegister: { probe: { script: ["ok"] } } });
});

describe("ingress answers", () => {
  it("accepts a valid delivery for a registered repo: 202 with the event and its jobs", async () => {
    const name = unique("ok");
    const repoId = await register(name);
    const res = await json(deliver({ forge: "github", event: "push", body: push(name), secret }));
    expect(res.status).toBe(202);
    expect(res.body.event).toMatch(/^[0-9A-Z]{26}$/);
    expect(res.body.jobs).toEqual([{ id: expect.stringMatching(/^[0-9A-Z]{26}$/), kind: "probe" }]);
    expect((await eventsOf(repoId)).map((e) => e.kind)).toEqual(["registered", "push"]);
  });

  it("answers a redelivery with the same result and creates nothing new", async () => {
    const name = unique("redeliver");
    const repoId = await register(name);
    const body = push(name);
    const first = await json(deliver({ forge: "github", event: "push", body, secret, delivery: "delivery-1" }));
    const again = await deliver({ forge: "github", event: "push", body, secret, delivery: "delivery-1" });
    expect(again.headers.get("X-Forgeline-Duplicate")).toBe("true");
    expect(await again.json()).toEqual(first.body);
    expect((await eventsOf(repoId)).filter((e) => e.type === "forge")).toHaveLength(1);
    const jobs = (await json(call(`/api/jobs?repo=${repoId}`))).body.jobs;
    expect(jobs).toHaveLength(1);
    // Without a delivery id (GitLab may send none), the body's hash identifies the delivery.
    const lab = await json(
      deliver({ forge: "github", event: "push", body, secret, headers: { "X-GitHub-Delivery": "" } }),
    );
    const labAgain = await json(
      deliver({ forge: "github", event: "push", body, secret, headers: { "X-GitHub-Delivery": "" } }),
    );
    expect(labAgain.body).toEqual(lab.body);
    expect((await eventsOf(repoId)).filter((e) => e.type === "forge")).toHaveLength(2);
  });

  it("refuses a missing or bad signature with 401 and stores nothing", async () => {
    const name = unique("sig");
    const repoId = await register(name);
    const body = push(name);
    const missing = await json(call("/hooks/github", { method: "POST", headers: { "X-GitHub-Event": "push" }, body }));
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe("missing_signature");
    const wrongSecret = await json(deliver({ forge: "github", event: "push", body, secret: "not-the-secret" }));
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error.code).toBe("bad_signature");
    // Signed over other bytes (one byte changed after signing).
    const headers = await signedHeaders({ forge: "github", event: "push", body, secret });
    const tampered = await json(call("/hooks/github", { method: "POST", headers, body: body.replace("bob", "eve") }));
    expect(tampered.status).toBe(401);
    const noPrefix = await json(
      call("/hooks/github", {
        method: "POST",
        headers: {
          "X-GitHub-Event": "push",
          "X-Hub-Signature-256": await hmacSha256Hex(secret, new TextEncoder().encode(body)),
        },
        body,
      }),
    );
    expect(noPrefix.status).toBe(401);
    expect((await eventsOf(repoId)).filter((e) => e.type === "forge")).toHaveLength(0);
  });

  it("checks each forge family's own signature header", async () => {
    await registerForge("family.forge.test", "gitea");
    await registerForge("lab.forge.test", "gitlab");
    const giteaBody = JSON.stringify({
      ref: "refs/heads/main",
      before: "a".repeat(40),
      after: "c".repeat(40),
      repository: { html_url: "https://family.forge.test/o/r" },
    });
    const right = await deliver({
      forge: "gitea",
      event: "push",
      body: giteaBody,
      secret: "secret-of-family.forge.test",
    });
    expect(right.status).toBe(202); // repo not registered, but authentic
    expect(await right.json()).toEqual({ ignored: "repo not registered" });
    const forgejo = await deliver({
      forge: "forgejo",
      event: "push",
      body: giteaBody,
      secret: "secret-of-family.forge.test",
    });
    expect(forgejo.status).toBe(202);
    const gogsWrong = await deliver({ forge: "gogs", event: "push", body: giteaBody, secret: "wrong-secret-xx" });
    expect(gogsWrong.status).toBe(401);
    const labBody = JSON.stringify({
      object_kind: "push",
      ref: "refs/heads/main",
      before: "a".repeat(40),
      after: "d".repeat(40),
      project: { web_url: "https://lab.forge.test/g/p" },
    });
    expect(
      (await deliver({ forge: "gitlab", event: "Push Hook", body: labBody, secret: "secret-of-lab.forge.test" }))
        .status,
    ).toBe(202);
    expect(
      (await deliver({ forge: "gitlab", event: "Push Hook", body: labBody, secret: "secret-of-lab.forge.tesT" }))
        .status,
    ).toBe(401);
    // A gitea forge's payload on the github path is refused.
    const mismatch = await json(
      deliver({ forge: "github", event: "push", body: giteaBody, secret: "secret-of-family.forge.test" }),
    );
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.error.code).toBe("forge_mismatch");
  });

  it("answers 404 for an unknown forge path", async () => {
    const res = await json(call("/hooks/bitbucket", { method: "POST", body: "{}" }));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("unknown_forge");
  });

  it("answers 403 for a payload whose host is not registered", async () => {
    const body = push("x").replaceAll(HOST, "stranger.example");
    const res = await json(deliver({ forge: "github", event: "push", body, secret }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forge_not_registered");
  });

  it("answers 400 for malformed JSON and missing fields", async () => {
    const bad = await json(deliver({ forge: "github", event: "push", body: "{not json", secret }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("malformed_json");
    const notObject = await json(deliver({ forge: "github", event: "push", body: "[1,2]", secret }));
    expect(notObject.status).toBe(400);
    const noRepo = await json(
      deliver({ forge: "github", event: "push", body: JSON.stringify({ ref: "refs/heads/x" }), secret }),
    );
    expect(noRepo.status).toBe(400);
    expect(noRepo.body.error.code).toBe("missing_fields");
    const name = unique("fields");
    const repoId = await register(name);
    const noAfter = await json(
      deliver({ forge: "github", event: "push", body: push(name, { after: "not-a-sha" }), secret }),
    );
    expect(noAfter.status).toBe(400);
    expect(noAfter.body.error.message).toContain("after");
    const noEventHeader = await json(deliver({ forge: "github", event: "", body: push(name), secret }));
    expect(noEventHeader.status).toBe(400);
    expect((await eventsOf(repoId)).filter((e) => e.type === "forge")).toHaveLength(0);
  });

  it("answers 413 for a body over 25 MiB without reading it whole", async () => {
    const big = new Uint8Array(25 * 1024 * 1024 + 1).fill(0x20);
    const declared = await json(
      call("/hooks/github", {
        method: "POST",
        headers: { "X-Hub-Signature-256": "sha256=00", "X-GitHub-Event": "push" },
        body: big,
      }),
    );
    expect(declared.status).toBe(413);
    // A streamed body with no Content-Length is cut off as it passes the limit.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 26; i++) c.enqueue(new Uint8Array(1024 * 1024).fill(0x20));
        c.close();
      },
    });
    const chunked = await json(
      call("/hooks/github", {
        method: "POST",
        headers: { "X-Hub-Signature-256": "sha256=00", "X-GitHub-Event": "push" },
        body: stream,
        duplex: "half",
      } as RequestInit),
    );
    expect(chunked.status).toBe(413);
  });

  it("answers unsupported events with 202 ignored and ping with 200", async () => {
    const name = unique("events");
    const repoId = await register(name);
    const issue = await json(deliver({ forge: "github", event: "issues", body: push(name), secret }));
    expect(issue.status).toBe(202);
    expect(issue.body).toEqual({ ignored: 'unsupported event type "issues"' });
    const ping = await json(
      deliver({
        forge: "github",
        event: "ping",
        body: JSON.stringify({
          zen: "Keep it simple.",
          hook_id: 1,
          repository: { html_url: `https://${HOST}/team/${name}` },
        }),
        secret,
      }),
    );
    expect(ping.status).toBe(200);
    expect(ping.body.pong).toBe(true);
    const branchCreate = await json(
      deliver({
        forge: "github",
        event: "create",
        body: JSON.stringify({
          ref: "dev",
          ref_type: "branch",
          repository: { html_url: `https://${HOST}/team/${name}` },
        }),
        secret,
      }),
    );
    expect(branchCreate.status).toBe(202);
    expect(branchCreate.body.ignored).toContain("branch creation");
    expect((await eventsOf(repoId)).filter((e) => e.type === "forge")).toHaveLength(0);
  });

  it("normalizes deletions into tag_delete and branch_delete", async () => {
    const name = unique("deletes");
    const repoId = await register(name);
    const zero = "0".repeat(40);
    await deliver({
      forge: "github",
      event: "push",
      body: push(name, { ref: "refs/tags/v1", after: zero, deleted: true }),
      secret,
    });
    await deliver({
      forge: "github",
      event: "push",
      body: push(name, { ref: "refs/heads/old", after: zero, deleted: true }),
      secret,
    });
    await deliver({
      forge: "github",
      event: "delete",
      body: JSON.stringify({ ref: "v2", ref_type: "tag", repository: { html_url: `https://${HOST}/team/${name}` } }),
      secret,
    });
    const kinds = (await eventsOf(repoId))
      .filter((e) => e.type === "forge")
      .map((e) => [e.kind, e.data.ref, e.data.tag?.name ?? null]);
    expect(kinds).toEqual([
      ["tag_delete", "refs/tags/v1", "v1"],
      ["branch_delete", "refs/heads/old", null],
      ["tag_delete", "refs/tags/v2", "v2"],
    ]);
  });

  it("ignores a repo that is not registered and stores nothing", async () => {
    const name = unique("stranger");
    const res = await json(deliver({ forge: "github", event: "push", body: push(name), secret }));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ ignored: "repo not registered" });
    expect(await storesNothing(`https://${HOST}/team/${name}`)).toBe(true);
    const listed = (await json(call(`/api/repos?host=${HOST}`))).body.repos.map((r: Answer) => r.url);
    expect(listed).not.toContain(`https://${HOST}/team/${name}`);
  });

  it("registers repos of an autoRegister forge with its default pipelines", async () => {
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: "a".repeat(40),
      after: "e".repeat(40),
      repository: { html_url: "https://auto.forge.test/o/fresh" },
    });
    const res = await json(deliver({ forge: "gitea", event: "push", body, secret: "secret-of-auto.forge.test" }));
    expect(res.status).toBe(202);
    expect(res.body.jobs).toHaveLength(1);
    const repos = (await json(call(`/api/repos?host=auto.forge.test`))).body.repos;
    expect(repos).toHaveLength(1);
    expect(repos[0]).toMatchObject({
      url: "https://auto.forge.test/o/fresh",
      pipelines: { probe: { script: ["ok"], coalesce: false } },
    });
    const events = await eventsOf(repos[0].id);
    expect(events.map((e) => e.kind)).toEqual(["registered", "push"]);
    expect(events[0].data.via).toBe("webhook from gitea");
  });

  it("refuses webhooks from outside a forge's allowed CIDRs with 403", async () => {
    const body = push("fenced").replaceAll(HOST, "fenced.forge.test");
    const s = "secret-of-fenced.forge.test";
    const outside = await json(
      deliver({ forge: "github", event: "push", body, secret: s, headers: { "CF-Connecting-IP": "198.51.100.7" } }),
    );
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe("source_not_allowed");
    const none = await json(deliver({ forge: "github", event: "push", body, secret: s }));
    expect(none.status).toBe(403);
    const inside = await json(
      deliver({ forge: "github", event: "push", body, secret: s, headers: { "CF-Connecting-IP": "192.0.2.55" } }),
    );
    expect(inside.status).toBe(202);
    const inside6 = await json(
      deliver({ forge: "github", event: "push", body, secret: s, headers: { "CF-Connecting-IP": "2001:db8::1" } }),
    );
    expect(inside6.status).toBe(202);
  });

  it("takes the real GitHub fixture with GitHub's headers byte for byte", async () => {
    // Signed over the file's exact bytes; any re-serialization would break the signature.
    await registerForge("github.com", "github");
    await register("unused");
    const res = await deliver({ forge: "github", event: "push", body: githubPush, secret: "secret-of-github.com" });
    expect(res.status).toBe(202);
    expect(await listDurableObjectIds(env.REPO)).not.toHaveLength(0);
  });
});
