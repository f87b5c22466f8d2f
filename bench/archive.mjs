// `npm run bench:archive`: archive visits of a generated repo (bench/archive-repo.mjs, deterministic; ≥30,000
// objects, ≥20 MB pack) served by the loopback git server, against the real system under `wrangler dev`:
// (1) a first full visit, (2) an unchanged re-visit, (3) a re-visit after 10 new commits. Each beside git's own
// time from the same server in the same run (`git clone --mirror`, then `git fetch` in that mirror).
// Reports wall time, objects/s and the peak RSS of the workerd process (sampled from /proc); for the first visit
// also its steps, the most subrequests one step made, R2 writes and D1 statements in all (the job's step totals),
// and how long GET /healthz and the job API took to answer while the visit ran (polled every 50 ms: p99, max).
// wrangler dev is started through its own API (unstable_startWorker, what `wrangler dev` runs) with the
// inspector off: with it on, devtools network events for every fetch and R2/D1 call pile up in the inspector
// proxy, which then lags requests by minutes and inflates workerd's memory.
// Options: --repo <bare repo>  measure that repository instead (copied, served the same way; no step (3))
//          --step-objects N  ARCHIVE_STEP_OBJECTS for the run (many steps: measures resumed parsing)
//          --large <MB>  generate a pack of at least that size instead (e.g. --large 150)
//          --port 8792   --keep (leave the temp dir)

import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, repoStats } from "./archive-repo.mjs";
import { startGitServer } from "../test/git-server.mjs";
import { unstable_startWorker } from "wrangler";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1] && !args[i + 1].startsWith("--") ? args[i + 1] : "true";
};
const largeMB = opt("large") ? Number(opt("large")) : 0;
const repoPath = opt("repo");
const port = Number(opt("port") ?? 8792);
const base = `http://127.0.0.1:${port}`;
const ADMIN = "bench-admin-token";
const MB = 1024 * 1024;

const tmp = mkdtempSync(join(tmpdir(), "forgeline-bench-archive-"));
const gitRoot = join(tmp, "git");
const state = join(tmp, "state");
const bare = join(gitRoot, "bench", "repo.git");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };
const wrangler = join(root, "node_modules", ".bin", "wrangler");

const shape = largeMB
  ? { commits: Math.ceil((largeMB * 1.15 * MB) / (10 * 36_000)), files: 10, blobBytes: 48_000 }
  : { commits: 1000, files: 12, blobBytes: 2600 };

function git(argv, cwd) {
  const r = spawnSync("git", argv, { cwd, encoding: "utf8", env: { ...env, GIT_CONFIG_NOSYSTEM: "1" } });
  if (r.status !== 0) throw new Error(`git ${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Times a git command against the server; async, since the server runs in this very process. */
function timedGit(argv, cwd) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const p = spawn("git", argv, {
      cwd,
      env: { ...env, GIT_CONFIG_NOSYSTEM: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) =>
      code === 0 ? resolve((performance.now() - start) / 1000) : reject(new Error(`git ${argv.join(" ")}: ${err}`)),
    );
  });
}

/** Every process under `pid`, by /proc. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push({ pid: Number(entry), comm });
    } catch {}
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

function rssKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(status)[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

async function waitReady() {
  for (let i = 0; i < 1200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("wrangler dev did not become ready in 120 s");
}

/** Answer times (ms) of `path`, asked every 50 ms (each waits for the last) until stop(). */
function latencyProbe(path) {
  const times = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const asked = performance.now();
      await fetch(`${base}${path}`, { signal: AbortSignal.timeout(30_000) }).then(
        (r) => r.arrayBuffer(),
        () => null,
      );
      times.push(performance.now() - asked);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      const sorted = [...times].sort((a, b) => a - b);
      return {
        n: sorted.length,
        p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
        max: sorted.at(-1) ?? 0,
      };
    },
  };
}

async function visit(url, workerd) {
  const before = rssKiB(workerd).rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(workerd).rss)), 25);
  const health = latencyProbe("/healthz");
  const api = latencyProbe("/api/jobs?limit=1");
  const start = performance.now();
  const res = await fetch(`${base}/api/1/origin/save/git/url/${url}/`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN}` },
  });
  if (!res.ok) throw new Error(`save code now: ${res.status} ${await res.text()}`);
  const { job: id } = await res.json();
  let job;
  for (;;) {
    const asked = performance.now();
    // A poll can stall behind the local R2/D1 simulators' backlog; a fresh one a moment later gets through.
    const answer = await fetch(`${base}/api/jobs/${id}`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => r.json(),
      () => null,
    );
    const took = performance.now() - asked;
    if (!answer) continue;
    job = answer.job;
    if (args.includes("--verbose") && took > 1000)
      console.error(
        `poll took ${(took / 1000).toFixed(1)} s (job ${job?.phase}) at +${((performance.now() - start) / 1000).toFixed(1)} s`,
      );
    if (job?.phase === "settled") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (args.includes("--verbose"))
    console.error(
      JSON.stringify(
        {
          benchStart: Date.now() - (performance.now() - start),
          job: { createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: job.finishedAt },
          log: job.log,
        },
        null,
        1,
      ),
    );
  const wall = (performance.now() - start) / 1000;
  clearInterval(sampler);
  const latency = { health: await health.stop(), api: await api.stop() };
  peak = Math.max(peak, rssKiB(workerd).rss);
  if (job.status !== "full")
    throw new Error(`visit ended ${job.status}: ${job.error}\n${JSON.stringify(job.log, null, 1)}`);
  return { wall, run: (job.finishedAt - job.startedAt) / 1000, result: job.result, before, peak, latency };
}

let server;
let dev;
try {
  if (repoPath) {
    console.error(`copying ${repoPath} into ${tmp} …`);
    cpSync(repoPath, bare, { recursive: true });
  } else {
    console.error(`generating the repo (${JSON.stringify(shape)}) in ${tmp} …`);
    await generate(bare, shape);
    git(["repack", "-adq"], bare);
  }
  const stats = repoStats(bare);
  server = await startGitServer(gitRoot);
  const url = `${server.url}/bench/repo.git`;

  console.error("starting wrangler dev …");
  // The Worker runs from a copy of the sources: an edit in the tree during the run would restart the runtime.
  const src = join(tmp, "src");
  for (const part of [
    "workers",
    "durable-objects",
    "schema",
    "migrations",
    "wrangler.toml",
    "package.json",
    "tsconfig.json",
  ])
    cpSync(join(root, part), join(src, part), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(src, "node_modules"));
  spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    cwd: src,
    env,
    stdio: "ignore",
  });
  const vars = join(tmp, "bench.vars");
  const stepObjects = opt("step-objects") ? `ARCHIVE_STEP_OBJECTS=${Number(opt("step-objects"))}\n` : "";
  writeFileSync(vars, `ADMIN_TOKEN=${ADMIN}\nALLOW_LOOPBACK=true\n${stepObjects}`);
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  dev = await unstable_startWorker({
    config: join(src, "wrangler.toml"),
    envFiles: [vars],
    dev: {
      inspector: false,
      remote: false,
      persist: state,
      watch: false,
      logLevel: "warn",
      server: { hostname: "127.0.0.1", port },
    },
  });
  await dev.ready;
  await waitReady();
  // wrangler dev runs two workerd: a proxy on the public port and the Worker itself.
  const workerd = () => {
    const all = descendants(process.pid).filter((p) => p.comm === "workerd");
    const worker = all.find((p) => {
      try {
        return !readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes(`entry=127.0.0.1:${port}`);
      } catch {
        return false;
      }
    });
    const pid = (worker ?? all[all.length - 1])?.pid;
    if (!pid) throw new Error("no workerd process under wrangler dev");
    return pid;
  };

  const mirror = join(tmp, "mirror.git");
  const cloneTime = await timedGit(["clone", "-q", "--mirror", url, mirror], tmp);
  console.error("(1) first full visit …");
  const first = await visit(url, workerd());
  const fetchNoop = await timedGit(["fetch", "-q"], mirror);
  console.error("(2) unchanged re-visit …");
  const second = await visit(url, workerd());
  let fetchTen = 0;
  let third = null;
  if (!repoPath) {
    await generate(bare, { ...shape, append: 10 });
    fetchTen = await timedGit(["fetch", "-q"], mirror);
    console.error("(3) re-visit after 10 new commits …");
    third = await visit(url, workerd());
  }
  const hwm = rssKiB(workerd()).hwm;

  const mb = (kib) => `${(kib / 1024).toFixed(0)} MB`;
  const row = (label, v, refLabel, ref) =>
    `${label.padEnd(30)} ${v.wall.toFixed(2).padStart(7)} s (in job ${v.run.toFixed(2)} s)  ${String(v.result.objects).padStart(7)} objects  ` +
    `${(v.result.objects / v.wall).toFixed(0).padStart(6)} obj/s  pack ${(v.result.packBytes / MB).toFixed(1).padStart(6)} MB  ` +
    `RSS ${mb(v.before)} → peak ${mb(v.peak)} (+${mb(v.peak - v.before)})  | ${refLabel} ${ref.toFixed(2)} s, ratio ${(v.wall / ref).toFixed(1)}×`;
  console.log(
    `\nforgeline archive benchmark: ${repoPath ?? "generated repo"} of ${stats.objects} objects, pack ${(stats.packBytes / MB).toFixed(1)} MB; wrangler dev on ${base}`,
  );
  console.log(row("(1) first full visit", first, "git clone --mirror", cloneTime));
  const t = first.result.stepTotals ?? {};
  const ms = (x) => `${x.toFixed(0)} ms`;
  console.log(
    `    steps ${first.result.steps}, max subrequests in a step ${t.maxSubrequests}, R2 writes ${t.r2Writes}, D1 statements ${t.d1Statements}; ` +
      `GET /healthz during the visit: p99 ${ms(first.latency.health.p99)}, max ${ms(first.latency.health.max)} (${first.latency.health.n} asked); ` +
      `GET /api/jobs: p99 ${ms(first.latency.api.p99)}, max ${ms(first.latency.api.max)}`,
  );
  console.log(row("(2) unchanged re-visit", second, "git fetch (no-op)", fetchNoop));
  if (third) console.log(row("(3) after 10 new commits", third, "git fetch (10 commits)", fetchTen));
  console.log(`workerd peak RSS over the run (VmHWM): ${mb(hwm)}`);
  console.log(
    `targets: first visit ≤ 5× clone: ${first.wall <= 5 * cloneTime ? "met" : "NOT met"} (${(first.wall / cloneTime).toFixed(1)}×); ` +
      `unchanged re-visit < 1 s: ${second.wall < 1 ? "met" : "NOT met"} (${second.wall.toFixed(2)} s end to end, ${second.run.toFixed(2)} s in the job); ` +
      `RSS growth ${mb(first.peak - first.before)} on the first visit (target < 256 MB for packs ≥ 150 MB${largeMB ? "" : "; run --large 150 for that"})`,
  );
  console.log(
    `targets: ≤ 200 R2 writes: ${t.r2Writes <= 200 ? "met" : "NOT met"}; no step over 1,000 subrequests: ${t.maxSubrequests <= 1000 ? "met" : "NOT met"}; ` +
      `/healthz p99 < 500 ms during the first visit: ${first.latency.health.p99 < 500 ? "met" : "NOT met"}`,
  );
  if (
    first.result.result !== "eventful" ||
    second.result.result !== "uneventful" ||
    second.result.packFetched ||
    (third && third.result.result !== "eventful")
  )
    throw new Error(`unexpected visit results: ${JSON.stringify([first.result, second.result, third?.result])}`);
} finally {
  await dev?.dispose();
  await server?.close();
  if (!opt("keep")) rmSync(tmp, { recursive: true, force: true });
}
