// Forges' repository events from the real fixtures: GitHub `repository` (renamed, transferred, archived, unarchived,
// deleted), GitLab system hooks (project_rename, project_transfer, project_destroy, project_create) and Gitea
// `repository` (created, deleted). An event about an unknown repo is logged in the registry stream, nothing else.

import { describe, expect, it, beforeAll } from "vitest";
import githubRenamed from "../../../shared/fixtures/webhooks/github-repository-renamed.octokit.json?raw";
import githubTransferred from "../../../shared/fixtures/webhooks/github-repository-transferred.octokit.json?raw";
import gitlabRenamed from "../../../shared/fixtures/webhooks/gitlab-system-project-renamed.go-playground.json?raw";
import gitlabTransferred from "../../../shared/fixtures/webhooks/gitlab-system-project-transferred.go-playground.json?raw";
import giteaCreated from "../../../shared/fixtures/webhooks/gitea-repository-created.go-playground.json?raw";
import { admin, call, eventually, json, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import type { ForgeFamily } from "../../workers/core/forge-event";

const OBSERVER = { Authorization: "Bearer test-observer-token", "Content-Type": "application/json" };
const secrets: Record<string, string> = {};

beforeAll(async () => {
  secrets["github.com"] = await registerForge("github.com", "github");
  secrets["gitlab-a.forge.test"] = await registerForge("gitlab-a.forge.test", "gitlab");
  secrets["gitlab-b.forge.test"] = await registerForge("gitlab-b.forge.test", "gitlab");
  secrets["gitlab-c.forge.test"] = await registerForge("gitlab-c.forge.test", "gitlab");
  // The Gitea fixture comes from a forge at http://localhost:3000; this one registers the repos it announces.
  secrets["localhost:3000"] = await registerForge("localhost:3000", "gitea", { autoRegister: {} });
});

async function register(url: string) {
  const res = await json(admin("/api/repos", "POST", { url, pipelines: {} }));
  expect(res.status).toBe(201);
  return res.body.repo.id as string;
}

function send(forge: ForgeFamily, host: string, event: string, body: string, headers: Record<string, string> = {}) {
  return json(deliver({ forge, event, body, secret: secrets[host]!, headers }));
}

async function repo(id: string) {
  return (await json(call(`/api/repos/${id}`))).body.repo;
}

async function kinds(id: string): Promise<string[]> {
  return (await json(call(`/api/repos/${id}/events?limit=500`))).body.events.map((e: Answer) => e.kind);
}

/** Observers' halves of a move, then its end. */
async function finish(workflow: string) {
  for (const event of ["released", "acquired"])
    await call(`/api/workflows/${workflow}/events`, {
      method: "POST",
      headers: OBSERVER,
      body: JSON.stringify({ event }),
    });
  return eventually(
    async () => {
      const run = (await json(call(`/api/workflows/${workflow}`))).body.workflow;
      return ["committed", "completed"].includes(run.state) && run;
    },
    15_000,
    `workflow ${workflow} ended`,
  );
}

async function registryEvents(host: string) {
  return (await json(call(`/api/registries/${host}/events?limit=500`))).body.events as Answer[];
}

describe("GitHub repository events", () => {
  it("transferred: moves the repo from the old owner to the new (fixture byte for byte)", async () => {
    const id = await register("https://github.com/octocat/Hello-World");
    const res = await send("github", "github.com", "repository", githubTransferred);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ done: "move-repo", repo: id });
    await finish(res.body.workflow);
    expect((await repo(id)).url).toBe("https://github.com/Octocoders/Hello-World");
    expect(await kinds(id)).toEqual(["registered", "move_started", "moved"]);
    // Delivered again: the repo is already there; nothing starts.
    const again = await send("github", "github.com", "repository", githubTransferred);
    expect(again.body.ignored).toMatch(/already at that URL|already at the new URL/);
  });

  it("renamed: the fixture renames to its own name (a no-op); a real rename moves the repo", async () => {
    const id = await register("https://github.com/Octocoders/Hello-World-2");
    const same = await send("github", "github.com", "repository", githubRenamed);
    expect(same.body.ignored).toMatch(/already at/);
    const renamed = JSON.parse(githubRenamed);
    renamed.changes.repository.name.from = "Hello-World-2";
    renamed.repository.html_url = "https://github.com/Octocoders/Hello-World-3";
    renamed.repository.name = "Hello-World-3";
    const res = await send("github", "github.com", "repository", JSON.stringify(renamed));
    expect(res.body).toMatchObject({ done: "move-repo", repo: id });
    await finish(res.body.workflow);
    expect((await repo(id)).url).toBe("https://github.com/Octocoders/Hello-World-3");
  });

  it("archived freezes, unarchived unfreezes, deleted removes (same shape as the fixture)", async () => {
    const id = await register("https://github.com/Octocoders/archivable");
    const body = (action: string) => {
      const p = JSON.parse(githubRenamed);
      delete p.changes;
      p.action = action;
      p.repository.html_url = "https://github.com/Octocoders/archivable";
      return JSON.stringify(p);
    };
    const archived = await send("github", "github.com", "repository", body("archived"));
    expect(archived.body).toMatchObject({ done: "freeze-repo", repo: id });
    await finish(archived.body.workflow);
    const unarchived = await send("github", "github.com", "repository", body("unarchived"));
    expect(unarchived.body).toMatchObject({ done: "unfreeze-repo" });
    await finish(unarchived.body.workflow);
    const deleted = await send("github", "github.com", "repository", body("deleted"));
    expect(deleted.body).toMatchObject({ done: "removed", repo: id });
    expect(await kinds(id)).toEqual([
      "registered",
      "freeze_started",
      "frozen",
      "unfreeze_started",
      "unfrozen",
      "removed",
    ]);
    expect((await send("github", "github.com", "repository", body("edited"))).body).toEqual({
      ignored: "repository edited",
    });
    await eventually(
      async () => (await registryEvents("github.com")).some((e) => e.kind === "repo_removed" && e.data.repo === id),
      10_000,
      "repo_removed",
    );
  });

  it("an event about an unknown repo is logged in the registry stream and nothing else", async () => {
    const p = JSON.parse(githubTransferred);
    p.repository.html_url = "https://github.com/Octocoders/nobody-knows";
    const res = await send("github", "github.com", "repository", JSON.stringify(p));
    expect(res.status).toBe(202);
    expect(res.body.ignored).toBe("repo not registered");
    const logged = (await registryEvents("github.com")).find((e) => e.id === res.body.logged);
    expect(logged).toMatchObject({
      kind: "repo_unknown_event",
      data: { repo: null, path: "octocat/nobody-knows", action: "move" },
    });
    const listed = (await json(call("/api/repos?host=github.com"))).body.repos.map((r: Answer) => r.url);
    expect(listed).not.toContain("https://github.com/Octocoders/nobody-knows");
    expect(listed).not.toContain("https://github.com/octocat/nobody-knows");
  });
});

describe("GitLab system hooks", () => {
  it("project_rename and project_transfer move the repo on the instance the hook names", async () => {
    const a = await register("https://gitlab-a.forge.test/jsmith/overscore");
    const renamed = await send("gitlab", "gitlab-a.forge.test", "System Hook", gitlabRenamed, {
      "X-Gitlab-Instance": "https://gitlab-a.forge.test",
    });
    expect(renamed.body).toMatchObject({ done: "move-repo", repo: a });
    await finish(renamed.body.workflow);
    expect((await repo(a)).url).toBe("https://gitlab-a.forge.test/jsmith/underscore");

    const b = await register("https://gitlab-b.forge.test/jsmith/overscore");
    const moved = await json(
      call("/hooks/gitlab?host=gitlab-b.forge.test", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Gitlab-Event": "System Hook",
          "X-Gitlab-Token": secrets["gitlab-b.forge.test"]!,
        },
        body: gitlabTransferred,
      }),
    );
    expect(moved.body).toMatchObject({ done: "move-repo", repo: b });
    await finish(moved.body.workflow);
    expect((await repo(b)).url).toBe("https://gitlab-b.forge.test/scores/underscore");
    // Without the instance named, the hook cannot be placed.
    const nowhere = await send("gitlab", "gitlab-a.forge.test", "System Hook", gitlabRenamed);
    expect(nowhere.status).toBe(400);
  });

  it("project_destroy removes, project_create of an unknown repo is logged only", async () => {
    const id = await register("https://gitlab-c.forge.test/jsmith/underscore");
    const event = (name: string) => JSON.stringify({ ...JSON.parse(gitlabRenamed), event_name: name });
    const h = { "X-Gitlab-Instance": "https://gitlab-c.forge.test" };
    const destroyed = await send("gitlab", "gitlab-c.forge.test", "System Hook", event("project_destroy"), h);
    expect(destroyed.body).toMatchObject({ done: "removed", repo: id });
    const created = JSON.stringify({
      ...JSON.parse(gitlabRenamed),
      event_name: "project_create",
      path_with_namespace: "jsmith/fresh",
    });
    const logged = await send("gitlab", "gitlab-c.forge.test", "System Hook", created, h);
    expect(logged.body.ignored).toBe("repo not registered");
    const events = await registryEvents("gitlab-c.forge.test");
    expect(events.map((e) => [e.kind, e.data.path])).toEqual([
      ["repo_added", "jsmith/underscore"],
      ["repo_removed", "jsmith/underscore"],
      ["repo_unknown_event", "jsmith/fresh"],
    ]);
  });
});

describe("Gitea repository events", () => {
  it("created registers a repo of a forge that auto-registers (http:// and all); deleted removes it", async () => {
    const res = await send("gitea", "localhost:3000", "repository", giteaCreated);
    expect(res.status).toBe(202);
    expect(res.body.done).toBe("registered");
    const made = await repo(res.body.repo);
    expect(made.url).toBe("http://localhost:3000/example3/example5");
    const again = await send("gitea", "localhost:3000", "repository", giteaCreated);
    expect(again.body).toEqual({ ignored: "repo already registered" });
    const deleted = await send(
      "gitea",
      "localhost:3000",
      "repository",
      giteaCreated.replace('"action": "created"', '"action": "deleted"'),
    );
    expect(deleted.body).toMatchObject({ done: "removed", repo: made.id });
    expect(await kinds(made.id)).toEqual(["registered", "removed"]);
  });
});
