// Every real payload in ../shared/fixtures/webhooks goes through the real ingress, byte for byte,
// and lands in its repo's log as the expected ForgeEvent.

import { describe, expect, it, beforeAll } from "vitest";
import githubPush from "../../../shared/fixtures/webhooks/github-push-branch.go-playground.json?raw";
import githubPushTag from "../../../shared/fixtures/webhooks/github-push-tag-created.go-scm.json?raw";
import githubCreateTag from "../../../shared/fixtures/webhooks/github-create-tag.go-playground.json?raw";
import giteaPush from "../../../shared/fixtures/webhooks/gitea-push-branch.go-playground.json?raw";
import giteaCreateTag from "../../../shared/fixtures/webhooks/gitea-create-tag.woodpecker.json?raw";
import gogsPush from "../../../shared/fixtures/webhooks/gogs-push-branch.go-playground.json?raw";
import gitlabPush from "../../../shared/fixtures/webhooks/gitlab-push-branch.go-playground.json?raw";
import gitlabTagPush from "../../../shared/fixtures/webhooks/gitlab-tag-push.go-playground.json?raw";
import { admin, json, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import type { ForgeFamily } from "../../workers/core/forge-event";

interface Case {
  name: string;
  forge: ForgeFamily;
  event: string;
  body: string;
  repoUrl: string;
  expect: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: "github push to a branch",
    forge: "github",
    event: "push",
    body: githubPush,
    repoUrl: "https://github.com/binkkatal/sample_app",
    expect: {
      kind: "push",
      host: "github.com",
      ref: "refs/heads/master",
      before: "737d38c599c1b2991664dfc6155d6bf516fcce36",
      after: "fd489864e7642b48eaad6e3f155c10e46810ec72",
      pusher: "binkkatal",
      repo: {
        url: "https://github.com/binkkatal/sample_app",
        cloneUrl: "https://github.com/binkkatal/sample_app.git",
        fullName: "binkkatal/sample_app",
        owner: "binkkatal",
        name: "sample_app",
        defaultBranch: "master",
        private: false,
      },
      commits: [
        {
          id: "fd489864e7642b48eaad6e3f155c10e46810ec72",
          message: "test a push event",
          url: "https://github.com/binkkatal/sample_app/commit/fd489864e7642b48eaad6e3f155c10e46810ec72",
          timestamp: "2018-06-29T19:34:13+05:30",
          author: { name: "binkkatal", email: "binkkatal.r@gmail.com" },
        },
      ],
    },
  },
  {
    name: "github push of a tag",
    forge: "github",
    event: "push",
    body: githubPushTag,
    repoUrl: "https://github.com/bradrydzewski/drone-test-go",
    expect: {
      kind: "tag_push",
      ref: "refs/tags/v0.0.1",
      before: "0000000000000000000000000000000000000000",
      after: "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd",
      tag: { name: "v0.0.1", objectId: "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd" },
      commits: [],
      repo: expect.objectContaining({ private: true, fullName: "bradrydzewski/drone-test-go" }),
    },
  },
  {
    name: "github create of a tag (no sha)",
    forge: "github",
    event: "create",
    body: githubCreateTag,
    repoUrl: "https://github.com/baxterthehacker/public-repo",
    expect: {
      kind: "tag_push",
      ref: "refs/tags/0.0.1",
      after: null,
      tag: { name: "0.0.1" },
      pusher: "baxterthehacker",
    },
  },
  {
    name: "gitea push to a branch",
    forge: "gitea",
    event: "push",
    body: giteaPush,
    repoUrl: "http://localhost:3000/example/example",
    expect: {
      kind: "push",
      host: "localhost:3000",
      ref: "refs/heads/master",
      before: "0000000000000000000000000000000000000000",
      after: "67b56589a45103f891bdee7c0546e5d40bc02001",
      pusher: "example",
      repo: expect.objectContaining({
        url: "http://localhost:3000/example/example",
        cloneUrl: "http://localhost:3000/example/example.git",
      }),
      commits: [expect.objectContaining({ id: "67b56589a45103f891bdee7c0546e5d40bc02001", message: "example\n" })],
    },
  },
  {
    name: "gitea create of a tag (with sha)",
    forge: "gitea",
    event: "create",
    body: giteaCreateTag,
    repoUrl: "http://gitea.golang.org/gordon/hello-world",
    expect: {
      kind: "tag_push",
      ref: "refs/tags/v1.0.0",
      tag: { name: "v1.0.0", objectId: "ef98532add3b2feb7a137426bba1248724367df5" },
      repo: expect.objectContaining({ private: true, defaultBranch: "main", owner: "gordon" }),
    },
  },
  {
    name: "gogs push to a branch",
    forge: "gogs",
    event: "push",
    body: gogsPush,
    repoUrl: "http://localhost:3000/unknwon/webhooks",
    expect: {
      kind: "push",
      ref: "refs/heads/develop",
      after: "bffeb74224043ba2feb48d137756c8a9331c449a",
      pusher: "unknwon",
      commits: [expect.objectContaining({ author: { name: "Unknwon", email: "u@gogs.io" } })],
    },
  },
  {
    name: "gitlab push to a branch",
    forge: "gitlab",
    event: "Push Hook",
    body: gitlabPush,
    repoUrl: "http://example.com/mike/diaspora",
    expect: {
      kind: "push",
      host: "example.com",
      ref: "refs/heads/master",
      after: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      pusher: "John Smith",
      repo: expect.objectContaining({
        fullName: "mike/diaspora",
        cloneUrl: "http://example.com/mike/diaspora.git",
        private: true,
      }),
      commits: [expect.objectContaining({ id: "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327" }), expect.anything()],
    },
  },
  {
    name: "gitlab tag push",
    forge: "gitlab",
    event: "Tag Push Hook",
    body: gitlabTagPush,
    repoUrl: "http://example.com/jsmith/example",
    expect: {
      kind: "tag_push",
      ref: "refs/tags/v1.0.0",
      tag: { name: "v1.0.0", objectId: "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7" },
    },
  },
];

beforeAll(async () => {
  await registerForge("github.com", "github");
  await registerForge("localhost:3000", "gitea");
  await registerForge("gitea.golang.org", "gitea");
  await registerForge("example.com", "gitlab");
});

describe("real webhook payloads", () => {
  for (const c of cases) {
    it(c.name, async () => {
      // Registered over https; the payload's http URL names the same repo (the key is scheme-free).
      const url = c.repoUrl.includes("localhost") ? c.repoUrl : c.repoUrl.replace(/^http:/, "https:");
      const reg = await json(admin("/api/repos", "POST", { url }));
      expect([200, 201]).toContain(reg.status);
      const res = await json(
        deliver({ forge: c.forge, event: c.event, body: c.body, secret: `secret-of-${new URL(c.repoUrl).host}` }),
      );
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ event: expect.any(String), jobs: [] });
      const log = await json(admin(`/api/repos/${reg.body.repo.id}/events`, "GET"));
      const forgeEvents = log.body.events.filter((e: Answer) => e.type === "forge");
      const logged = forgeEvents.find((e: Answer) => e.id === res.body.event);
      expect(logged, "the event is in the repo's log").toBeDefined();
      expect(logged.data).toMatchObject({ id: res.body.event, forge: c.forge, ...c.expect });
      expect(logged.data.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(JSON.stringify(logged.data)).not.toContain("l26Un7G7HXogLAvsyf2hOA4EMARSTsR3"); // Gitea's in-body secret is dropped
    });
  }
});
