// A seeded system for the dashboard's browser test: repos built with the git CLI on the loopback git server
// (one with hostile names, one large enough that a visit takes a while), archived through the real API, a tag
// build run by the reference builder, and a mirror.

import { execFileSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DISTRO, SECRET, api as apiOnce, makeTagRepo, pushTag, startBuilder, until } from "../support/tagbuild-dev.mjs";

/**
 * The admin API, once more when a kept-alive connection was closed while it sat idle (building a large repo takes
 * longer than the server keeps idle connections). The calls here are idempotent.
 */
async function api(...args) {
  try {
    return await apiOnce(...args);
  } catch (err) {
    if (!/fetch failed/.test(String(err))) throw err;
    return apiOnce(...args);
  }
}

/** Hostile text: markup, quotes and an RTL override (file names cannot hold a slash, so no `</script>` there). */
export const HOSTILE_MESSAGE = `fix <script>alert("boom")</script> '\u202Eexe.txt`;
export const HOSTILE_NAME = `<img src=x onerror=alert(1)>"'\u202Egnp.exe`;

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Mallory <script>",
  GIT_AUTHOR_EMAIL: "m@example.org",
  GIT_COMMITTER_NAME: "Mallory",
  GIT_COMMITTER_EMAIL: "m@example.org",
  GIT_CONFIG_NOSYSTEM: "1",
  // No background gc racing the removal of the scratch work tree.
  GIT_CONFIG_COUNT: "1",
  GIT_CONFIG_KEY_0: "gc.auto",
  GIT_CONFIG_VALUE_0: "0",
};

/** A bare repo `o/<name>.git` whose work tree `fill(dir)` writes; one commit with `message`. */
export function makeRepo(gitRoot, name, fill, message) {
  const bare = join(gitRoot, "o", `${name}.git`);
  const work = mkdtempSync(join(tmpdir(), "forgeline-dash-"));
  const git = (args, cwd = work) =>
    execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8", maxBuffer: 64 << 20 }).trim();
  mkdirSync(join(gitRoot, "o"), { recursive: true });
  git(["init", "-q", "--bare", bare], gitRoot);
  git(["init", "-q", "-b", "main", "."]);
  fill(work);
  git(["add", "-A"]);
  git(["commit", "-qm", message]);
  git(["push", "-q", bare, "HEAD:refs/heads/main"]);
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  return bare;
}

/** Sends a signed Gitea push for `repoUrl` (the event the repo page should show without a reload). */
export async function pushEvent(base, repoUrl, ref, message) {
  const after = "1".repeat(40);
  const body = JSON.stringify({
    ref,
    before: "0".repeat(40),
    after,
    commits: [{ id: after, message, url: null, timestamp: null }],
    repository: { html_url: repoUrl, clone_url: `${repoUrl}.git`, full_name: "o/x", name: "x", owner: { login: "o" } },
    pusher: { login: "pusher" },
  });
  const res = await fetch(`${base}/hooks/gitea`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Gitea-Event": "push",
      "X-Gitea-Delivery": randomUUID(),
      "X-Gitea-Signature": createHmac("sha256", SECRET).update(body).digest("hex"),
    },
    body,
  });
  if (res.status !== 202) throw new Error(`webhook: ${res.status} ${await res.text()}`);
}

async function saveNow(base, url) {
  const saved = await api(base, "POST", `/api/1/origin/save/git/url/${url}/`);
  return until(
    async () => {
      const { job } = await api(base, "GET", `/api/jobs/${saved.job}`);
      return job.phase === "settled" ? job : undefined;
    },
    120_000,
    `visit of ${url}`,
    250,
  );
}

export async function seed(sys) {
  const host = new URL(sys.git).host;
  await api(sys.base, "POST", "/api/forges", { host, kind: "gitea", webhookSecret: SECRET, baseUrl: sys.git });

  makeRepo(
    sys.gitRoot,
    "small",
    (dir) => {
      writeFileSync(join(dir, "README.md"), "# small\n\nA repo with hostile names.\n");
      mkdirSync(join(dir, "src"));
      writeFileSync(
        join(dir, "src", "main.c"),
        Array.from({ length: 40 }, (_, i) => `int line${i} = ${i}; /* <b>${i}</b> */`).join("\n") + "\n",
      );
      writeFileSync(join(dir, HOSTILE_NAME), "hostile\n");
      writeFileSync(join(dir, "logo.bin"), Buffer.from([0, 1, 2, 3, 255, 254]));
    },
    `${HOSTILE_MESSAGE}\n\nThe body.`,
  );
  const small = `${sys.git}/o/small`;
  const smallRepo = (await api(sys.base, "POST", "/api/repos", { url: small, pipelines: { archive: {} } })).repo;
  const visit = await saveNow(sys.base, small);
  if (visit.status !== "full") throw new Error(`visit of the small repo: ${visit.status} ${visit.error}`);

  // Enough objects that its visit runs for a while under wrangler dev: the progress bar has time to move.
  makeRepo(
    sys.gitRoot,
    "bulk",
    (dir) => {
      for (let d = 0; d < 8; d++) {
        const sub = join(dir, "bulk", `d${d}`);
        mkdirSync(sub, { recursive: true });
        for (let f = 0; f < 500; f++) writeFileSync(join(sub, `f${f}.txt`), `file ${d}/${f}\n`);
      }
      writeFileSync(join(dir, "README.md"), "bulk\n");
    },
    "four thousand files",
  );
  const bulk = `${sys.git}/o/bulk`;
  const bulkRepo = (await api(sys.base, "POST", "/api/repos", { url: bulk, pipelines: { archive: {} } })).repo;

  // A tag build, run by the reference builder.
  const builder = startBuilder(sys.base, {
    id: "dash-builder",
    exec: "echo forgeline-message built $FORGELINE_SOURCE",
  });
  await until(
    async () =>
      (await api(sys.base, "GET", "/api/builders")).builders.find((b) => b.id === "dash-builder" && b.connected),
    60_000,
    "builder",
  );
  const tag = makeTagRepo(sys.gitRoot, "tagged", { source: "hello", version: "2.10-3" });
  const tagUrl = `${sys.git}/o/tagged`;
  await api(sys.base, "POST", "/api/repos", { url: tagUrl, pipelines: { tagbuild: { distro: DISTRO } } });
  const [buildId] = await pushTag(sys.base, tagUrl, tag.tagName, tag.tagId);
  await until(
    async () =>
      (await api(sys.base, "GET", `/api/tagbuild/jobs/${buildId}`)).job.status === "uploaded" ? true : undefined,
    90_000,
    "tag build",
  );

  // A mirror of the small repo into another bare repo on the same server.
  execFileSync("git", ["init", "-q", "--bare", join(sys.gitRoot, "o", "mirror-dest.git")]);
  const mirror = (
    await api(sys.base, "POST", "/api/mirrors", {
      source: { url: `${small}.git`, branch: "main" },
      destination: { url: `${sys.git}/o/mirror-dest.git`, group: "o", project: "mirror-dest", branch: "main" },
    })
  ).mirror;
  await until(
    async () => {
      const { mirror: m } = await api(sys.base, "GET", `/api/mirrors/${mirror.id}`);
      return m.consumer.commit ? m : undefined;
    },
    90_000,
    "mirror applied",
    250,
  );

  return { host, small, smallRepo, bulk, bulkRepo, buildId, mirror, builder };
}
