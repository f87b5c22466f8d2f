// The real system for the observer's end-to-end test and the registry benchmark (plain Node): `wrangler dev` with
// its state in a temporary directory, the loopback git server, repos built with the git CLI, signed Gitea pushes,
// and reference observer processes. Ports stay in 8850-8859.

import { spawn, execFileSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startGitServer } from "../git-server.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
export const ADMIN = "e2e-admin-token";
export const OBSERVER_TOKENS = ["e2e-observer-a", "e2e-observer-b", "e2e-observer-c"];
export const SECRET = "e2e-webhook-secret";

const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "Maintainer",
  GIT_AUTHOR_EMAIL: "maint@example.org",
  GIT_COMMITTER_NAME: "Maintainer",
  GIT_COMMITTER_EMAIL: "maint@example.org",
  GIT_CONFIG_NOSYSTEM: "1",
};

export const git = (args, cwd) => execFileSync("git", args, { cwd, env: gitEnv, encoding: "utf8" }).trim();

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, env: quietEnv, stdio: ["ignore", "ignore", "inherit"] });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

/** Starts the git server (port + 2) and `wrangler dev` (port, inspector port + 1); registers the git server as a Gitea forge. */
export async function startSystem({ port = 8850, vars = {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), "forgeline-observer-"));
  const gitRoot = join(work, "git");
  const persist = join(work, "state");
  const gitServer = await startGitServer(gitRoot, port + 2);
  await run(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist]);
  const settings = { ADMIN_TOKEN: ADMIN, ALLOW_LOOPBACK: "true", OBSERVER_TOKENS: OBSERVER_TOKENS.join(","), ...vars };
  const dev = spawn(
    wrangler,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(port + 1),
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
  const host = new URL(gitServer.url).host;
  await api(base, "POST", "/api/forges", { host, kind: "gitea", webhookSecret: SECRET, baseUrl: gitServer.url });
  return {
    base,
    git: gitServer.url,
    host,
    gitRoot,
    work,
    async stop() {
      try {
        process.kill(-dev.pid, "SIGTERM");
      } catch {}
      await new Promise((r) => setTimeout(r, 500));
      // Keep-alive connections may hold the server's close; the test is over either way.
      await Promise.race([gitServer.close(), new Promise((r) => setTimeout(r, 2000))]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function api(base, method, path, body, token = ADMIN) {
  const res = await fetch(base + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A bare repo at `<path>.git` under the git server's root with `commits` commits on main; answers its work tree. */
export function makeRepo(gitRoot, path, commits = 1) {
  const bare = join(gitRoot, `${path}.git`);
  mkdirSync(dirname(bare), { recursive: true });
  git(["init", "-q", "--bare", "-b", "main", bare], gitRoot);
  const work = mkdtempSync(join(tmpdir(), "forgeline-work-"));
  git(["init", "-q", "-b", "main", "."], work);
  git(["remote", "add", "origin", bare], work);
  for (let i = 0; i < commits; i++) commit(work, `${path} ${i}`);
  return { bare, work };
}

/** One more commit pushed to the bare repo; answers the new head. */
export function commit(work, text) {
  writeFileSync(join(work, "README"), `${text}\n`);
  git(["add", "README"], work);
  git(["commit", "-qm", text], work);
  git(["push", "-q", "origin", "HEAD:refs/heads/main"], work);
  return git(["rev-parse", "HEAD"], work);
}

/** A signed Gitea push delivery for the repo at `url`. */
export async function deliverPush(base, url, after) {
  const body = JSON.stringify({
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after,
    commits: [],
    repository: { html_url: url },
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

/** Starts a reference observer (`npx forgeline-observer …` when `viaNpx`); its stdout status lines are collected. */
export function startObserver(sys, { token, prefixes, root: dir, exec, viaNpx = false, extra = [] }) {
  const args = [
    "--url",
    sys.base,
    "--token",
    token,
    "--registry",
    sys.host,
    ...prefixes.flatMap((p) => ["--prefix", p]),
    "--root",
    dir,
  ];
  if (exec) args.push("--exec", exec);
  args.push("--reconnect-seconds", "1", "--retry-seconds", "1", ...extra);
  const [cmd, argv] = viaNpx
    ? ["npx", ["forgeline-observer", ...args]]
    : [process.execPath, [join(root, "bin", "forgeline-observer.mjs"), ...args]];
  const child = spawn(cmd, argv, { cwd: root, env: process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.statuses = [];
  child.stderrText = "";
  child.stdout.on("data", (d) => {
    for (const line of String(d).split("\n").filter(Boolean)) {
      try {
        child.statuses.push(JSON.parse(line));
      } catch {}
    }
  });
  child.stderr.on("data", (d) => (child.stderrText += String(d)));
  child.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  return child;
}

export function kill(child, signal = "SIGKILL") {
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

/** Polls until `check` returns a value, or throws after `ms`. */
export async function until(check, ms = 60_000, what = "condition", every = 100) {
  const start = Date.now();
  let last;
  for (;;) {
    const v = await check().catch((err) => ((last = err), undefined));
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
