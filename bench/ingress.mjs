// `npm run bench:ingress`: webhook throughput and latency of the real system under `wrangler dev`,
// beside `GET /healthz` measured in the same run. Signed GitHub push deliveries with distinct delivery ids,
// spread over registered repos, driven from this (second) process with autocannon at fixed concurrency.
// Options: --connections 50 --duration 15 --repos 50 --port 8790

import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const opts = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : [])),
);
const connections = Number(opts.connections ?? 50);
const duration = Number(opts.duration ?? 15);
const repoCount = Number(opts.repos ?? 50);
const port = Number(opts.port ?? 8790);
const base = `http://127.0.0.1:${port}`;
const ADMIN = "bench-admin-token";
const HOST = "bench.forge.test";
const SECRET = "bench-webhook-secret";

const state = join(root, "bench", ".data", "ingress-state");
rmSync(state, { recursive: true, force: true });
mkdirSync(state, { recursive: true });

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const common = ["--persist-to", state];

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

async function waitReady() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("wrangler dev did not become ready in 60 s");
}

async function api(path, body) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

function measure(title, requests) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url: base, connections, duration, requests }, (err, result) => {
      if (err) return reject(err);
      resolve({
        title,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        total: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      });
    });
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

await run(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...common]);
const dev = spawn(
  wrangler,
  [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(port + 1000),
    "--var",
    `ADMIN_TOKEN:${ADMIN}`,
    "--log-level",
    "warn",
    ...common,
  ],
  { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] },
);
try {
  await waitReady();
  await api("/api/forges", { host: HOST, kind: "github", webhookSecret: SECRET });
  const bodies = [];
  for (let i = 0; i < repoCount; i++) {
    const url = `https://${HOST}/bench/repo-${i}`;
    await api("/api/repos", { url, pipelines: {} });
    const body = JSON.stringify({
      ref: "refs/heads/main",
      before: "a".repeat(40),
      after: (i + 1).toString(16).padStart(40, "0"),
      repository: { html_url: url, full_name: `bench/repo-${i}`, name: `repo-${i}`, owner: { login: "bench" } },
      pusher: { name: "bench" },
      commits: [],
    });
    bodies.push({ body, signature: "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex") });
  }
  // Warm up both paths so that neither pays for first compilation.
  await measure("warm-up", [{ method: "GET", path: "/healthz" }]).catch(() => {});

  const health = await measure("GET /healthz", [{ method: "GET", path: "/healthz" }]);
  let n = 0;
  const hooks = await measure("POST /hooks/github (signed push, new delivery id each)", [
    {
      method: "POST",
      path: "/hooks/github",
      setupRequest(req) {
        const { body, signature } = bodies[n++ % bodies.length];
        return {
          ...req,
          body,
          headers: {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": randomUUID(),
            "X-Hub-Signature-256": signature,
          },
        };
      },
    },
  ]);

  const row = (r) =>
    `${r.title.padEnd(56)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   (${r.total} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`;
  console.log(
    `\nforgeline ingress benchmark: ${connections} connections, ${duration} s each, ${repoCount} repos, wrangler dev on ${base}`,
  );
  console.log(row(health));
  console.log(row(hooks));
  console.log(
    `webhook / healthz throughput ratio: ${(hooks.rps / health.rps).toFixed(2)} (target ≥ 0.5); webhook p99 ${hooks.p99} ms (target < 50 ms)`,
  );
  if (hooks.non2xx || hooks.errors) process.exitCode = 1;
} finally {
  dev.kill("SIGTERM");
}
