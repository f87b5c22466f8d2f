// The publish pipeline on the real system (plain Node), for its browser end-to-end test and its benchmark:
// content repos built from the Door43 fixtures with the git CLI, signed Gitea pushes, builds waited for.

import { execFileSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SECRET, api, root } from "./tagbuild-dev.mjs";

export const FIXTURES = resolve(root, "..", "shared", "fixtures", "publish");

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Translator",
  GIT_AUTHOR_EMAIL: "translator@example.org",
  GIT_COMMITTER_NAME: "Translator",
  GIT_COMMITTER_EMAIL: "translator@example.org",
  GIT_CONFIG_NOSYSTEM: "1",
};
const git = (args, cwd) =>
  execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).trim();

/** A bare repo `o/<name>.git` whose master holds the fixture's tree; returns its paths and commit. */
export function makeContentRepo(gitRoot, name, fixture) {
  const unpacked = mkdtempSync(join(tmpdir(), "forgeline-fixture-"));
  const file = join(FIXTURES, fixture);
  if (existsSync(`${file}.zip`)) execFileSync("unzip", ["-q", `${file}.zip`, "-d", unpacked]);
  else execFileSync("tar", ["xzf", `${file}.tar.gz`, "-C", unpacked]);
  const top = readdirSync(unpacked);
  const work = top.length === 1 && statSync(join(unpacked, top[0])).isDirectory() ? join(unpacked, top[0]) : unpacked;
  const bare = join(gitRoot, "o", `${name}.git`);
  git(["init", "-q", "-b", "master"], work);
  git(["add", "-A"], work);
  git(["commit", "-qm", `import ${fixture}`], work);
  git(["init", "-q", "--bare", bare], gitRoot);
  git(["push", "-q", bare, "master"], work);
  const commit = git(["rev-parse", "HEAD"], work);
  return { bare, work, commit, cleanup: () => rmSync(unpacked, { recursive: true, force: true }) };
}

/** Commits what `change(work)` did in the repo's work tree and pushes it; returns the commit. */
export function commitChange(repo, message, change) {
  change(repo.work);
  git(["commit", "-qam", message], repo.work);
  git(["push", "-q", repo.bare, "master"], repo.work);
  return git(["rev-parse", "HEAD"], repo.work);
}

/** A signed Gitea push of `after` to master; returns the build ids it started. */
export async function pushBranch(base, url, name, after, before = "0".repeat(40)) {
  const body = JSON.stringify({
    ref: "refs/heads/master",
    before,
    after,
    commits: [],
    repository: { html_url: url, clone_url: `${url}.git`, full_name: `o/${name}`, name },
  });
  const sig = createHmac("sha256", SECRET).update(body).digest("hex");
  const res = await fetch(`${base}/hooks/gitea`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Gitea-Event": "push",
      "X-Gitea-Delivery": randomUUID(),
      "X-Gitea-Signature": sig,
    },
    body,
  });
  const out = await res.json();
  if (res.status !== 202) throw new Error(`push: ${res.status} ${JSON.stringify(out)}`);
  return out.jobs.map((j) => j.id);
}

/** Waits for a build to settle; its API view. */
export async function settledBuild(base, id, timeoutMs = 300_000) {
  const start = Date.now();
  for (;;) {
    const b = await api(base, "GET", `/api/publish/builds/${id}`).catch(() => null);
    if (b && ["success", "warnings", "failed"].includes(b.build.status)) return b;
    if (Date.now() - start > timeoutMs) throw new Error(`build ${id} did not settle in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Registers the git server as a Gitea forge and `url` as a repo with the publish pipeline. */
export async function registerPublishRepo(base, gitUrl, url) {
  // wrangler dev may drop a connection while it reloads; the first call is retried.
  for (let i = 0; i < 10; i++) {
    if (
      await fetch(`${base}/healthz`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await api(base, "POST", "/api/forges", {
    host: new URL(gitUrl).host,
    kind: "gitea",
    webhookSecret: SECRET,
    baseUrl: gitUrl,
  }).catch((err) => {
    if (!/409|exists/.test(String(err))) throw err;
  });
  await api(base, "POST", "/api/repos", { url, pipelines: { publish: {} } });
}
