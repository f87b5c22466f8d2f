// The real system on this machine, for the tag-build end-to-end test and benchmark (plain Node): the Worker
// under `wrangler dev` with its state in a temporary directory, the loopback git server, tag repos built
// with the git CLI, signed Gitea tag pushes, and reference builder processes.

import { spawn, execFileSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startGitServer } from "../git-server.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
export const ADMIN = "e2e-admin-token";
export const BUILDER_TOKEN = "e2e-builder-token";
export const SECRET = "e2e-webhook-secret";
export const DISTRO = "test-dummy";

const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, env: quietEnv, stdio: ["ignore", "ignore", "inherit"], ...opts });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

/**
 * Starts the loopback git server and the Worker under `wrangler dev` (migrations applied, state in a temp
 * dir outside the tree). Returns the URLs, the git server's root, the workerd pid and `stop()`.
 */
export async function startSystem({ port = 8795, vars = {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), "forgeline-tagbuild-"));
  const gitRoot = join(work, "git");
  const persist = join(work, "state");
  const git = await startGitServer(gitRoot);
  await run(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist]);
  const settings = { ADMIN_TOKEN: ADMIN, ALLOW_LOOPBACK: "true", BUILDER_TOKENS: BUILDER_TOKEN, ...vars };
  const dev = spawn(
    wrangler,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      process.env.E2E_INSPECTOR_PORT ?? String(port + 1000),
      "--persist-to",
      persist,
      "--log-level",
      "warn",
      ...Object.entries(settings).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    { cwd: root, env: quietEnv, stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (i > 1200) throw new Error("wrangler dev did not become ready in 120 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    git: git.url,
    gitRoot,
    devPid: dev.pid,
    async stop() {
      try {
        process.kill(-dev.pid, "SIGTERM"); // wrangler and the workerd it started
      } catch {}
      await new Promise((r) => setTimeout(r, 500));
      await git.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function api(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: {
      Authorization: `Bearer ${ADMIN}`,
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A bare repo `o/<name>.git` under the git server's root with one commit and the annotated tag. */
export function makeTagRepo(gitRoot, name, { source = "example", version = "1.0-1" } = {}) {
  const tagName = `${DISTRO}/${version.replace(/:/g, "%").replace(/~/g, "_")}`;
  const bare = join(gitRoot, "o", `${name}.git`);
  const work = mkdtempSync(join(tmpdir(), "forgeline-work-"));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "Maintainer",
    GIT_AUTHOR_EMAIL: "maint@example.org",
    GIT_COMMITTER_NAME: "Maintainer",
    GIT_COMMITTER_EMAIL: "maint@example.org",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const git = (args, cwd = work) => execFileSync("git", args, { cwd, env, encoding: "utf8" }).trim();
  git(["init", "-q", "--bare", bare], gitRoot);
  git(["init", "-q", "."]);
  writeFileSync(join(work, "README"), `${name}\n`);
  git(["add", "README"]);
  git(["commit", "-qm", `${source} ${version}`]);
  const message = `${source} release ${version} for unstable\n\n[dgit distro=${DISTRO} split --quilt=gbp]\n[dgit please-upload source=${source} version=${version}]\n`;
  writeFileSync(join(work, "..", `msg-${name}`), message);
  git(["tag", "-a", "-F", join(work, "..", `msg-${name}`), tagName]);
  git(["push", "-q", bare, "HEAD:refs/heads/main", `refs/tags/${tagName}`]);
  const tagId = git(["rev-parse", `refs/tags/${tagName}`]);
  rmSync(work, { recursive: true, force: true });
  rmSync(join(work, "..", `msg-${name}`), { force: true });
  return { path: bare, tagName, tagId };
}

/** Delivers a Gitea tag push for `repoUrl`; returns the started job ids. */
export async function pushTag(base, repoUrl, tagName, tagId) {
  const body = JSON.stringify({
    ref: `refs/tags/${tagName}`,
    before: "0".repeat(40),
    after: tagId,
    commits: [],
    repository: { html_url: repoUrl, clone_url: `${repoUrl}.git`, full_name: "o/x", name: "x", owner: { login: "o" } },
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
  const out = await res.json();
  if (res.status !== 202) throw new Error(`webhook: ${res.status} ${JSON.stringify(out)}`);
  return out.jobs.map((j) => j.id);
}

/** Starts a reference builder process (`npx forgeline-builder …` when `viaNpx`). */
export function startBuilder(base, { id, exec, env = {}, viaNpx = false, log = false }) {
  const args = ["--url", base, "--token", BUILDER_TOKEN, "--id", id, "--exec", exec];
  const [cmd, argv] = viaNpx
    ? ["npx", ["forgeline-builder", ...args]]
    : [process.execPath, [join(root, "bin", "forgeline-builder.mjs"), ...args]];
  // Its own process group, so that `killBuilder` reaches the builder behind npx too.
  return spawn(cmd, argv, {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", log ? "inherit" : "ignore", log ? "inherit" : "ignore"],
  });
}

export function killBuilder(child, signal = "SIGKILL") {
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

/** Polls until `check` returns a value, or throws after `ms`. */
export async function until(check, ms = 60_000, what = "condition", every = 50) {
  const start = Date.now();
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export async function jobStatus(base, id) {
  const res = await fetch(`${base}/api/tagbuild/jobs/${id}`, { headers: { Accept: "application/json" } });
  return res.ok ? (await res.json()).job : null;
}
