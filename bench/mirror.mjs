// `npm run bench:mirror`: the mirror's two halves on a generated repo whose pack is ≥ 20 MB, run by the real
// Worker (wrangler's dev server, local bindings, inspector off: its devtools proxy cannot keep up with big
// transfers), beside the same work done by the command-line tools in the same run:
//   producer  fetch → stage → tar → gzip → age → upload     vs  git clone --mirror | tar czf | age -r
//   consumer  download → age → gunzip → untar → push         vs  age -d | tar xzf | git push
// Times come from the jobs' own records (started → finished); peak RSS is the workerd processes' VmHWM.
// Options: --mb 24 (random bytes in the repo) --port 8791

import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_startWorker } from "wrangler";
import { startGitServer } from "../test/git-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const opts = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : [])),
);
const megabytes = Number(opts.mb ?? 24);
const port = Number(opts.port ?? 8791);
const ADMIN = "bench-admin-token";
const devVars = readFileSync(join(root, ".dev.vars.example"), "utf8");
const RECIPIENT = /^SYNC_RECIPIENTS=(.+)$/m.exec(devVars)[1].trim();
const IDENTITY = /^SYNC_IDENTITY=(.+)$/m.exec(devVars)[1].trim();

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
const work = mkdtempSync(join(tmpdir(), "forgeline-bench-mirror-"));
const state = join(work, "state");
const repos = join(work, "repos");
// Asynchronous: the git server runs in this process and must go on answering while the tools run.
const sh = async (script, cwd = repos) =>
  (
    await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
      cwd,
      maxBuffer: 1 << 30,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "Bench",
        GIT_AUTHOR_EMAIL: "bench@forgeline.invalid",
        GIT_COMMITTER_NAME: "Bench",
        GIT_COMMITTER_EMAIL: "bench@forgeline.invalid",
      },
    })
  ).stdout.toString();
const seconds = (ms) => (ms / 1000).toFixed(2);
const step = (what) => console.error(`[bench:mirror] ${new Date().toISOString().slice(11, 19)} ${what}`);

const server = await startGitServer(repos);
let worker;
const rss = new Map();
/** [time, VmRSS of the largest workerd] samples, to tell the producer's peak from the consumer's. */
const timeline = [];
let sampler;
try {
  // ---- a repo with a pack of at least 20 MB (random blobs do not compress) ----
  await sh(
    `git init -q --bare src.git && git init -q --bare dst.git && git init -q --bare dst-cli.git && git clone -q src.git w 2>/dev/null`,
  );
  const files = Math.max(4, Math.ceil(megabytes / 2));
  await sh(
    `cd w && for c in $(seq 1 ${files}); do head -c $((${megabytes} * 1048576 / ${files})) /dev/urandom > blob$c; seq 1 20000 | sed "s/$/ line of commit $c/" > text$c; git add . && git commit -q -m "commit $c"; done && git push -q origin HEAD:main && git --git-dir=../src.git symbolic-ref HEAD refs/heads/main`,
  );
  await sh(`git --git-dir=src.git gc -q`);
  const packBytes = Number(/size-pack: (\d+)/.exec(await sh(`git --git-dir=src.git count-objects -v`))[1]) * 1024;
  const commit = (await sh(`git --git-dir=src.git rev-parse main`)).trim();
  if (packBytes < 20 * 1024 * 1024) throw new Error(`generated pack is only ${packBytes} bytes`);

  step(`repo generated: pack ${packBytes} bytes; starting the worker`);
  // ---- the Worker ----
  const migrate = spawnSync(
    join(root, "node_modules", ".bin", "wrangler"),
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
    { cwd: root, env: { ...process.env, CI: "true" }, stdio: ["ignore", "ignore", "inherit"] },
  );
  if (migrate.status !== 0) throw new Error("migrations failed");
  const before = new Set(workerdPids());
  worker = await unstable_startWorker({
    config: join(root, "wrangler.toml"),
    bindings: {
      ADMIN_TOKEN: { type: "plain_text", value: ADMIN },
      ALLOW_LOOPBACK: { type: "plain_text", value: "true" },
      SYNC_RECIPIENTS: { type: "plain_text", value: RECIPIENT },
      SYNC_IDENTITY: { type: "plain_text", value: IDENTITY },
    },
    dev: {
      inspector: false,
      persist: state,
      watch: false,
      liveReload: false,
      logLevel: "warn",
      server: { hostname: "127.0.0.1", port },
    },
  });
  await worker.ready;
  const base = `http://127.0.0.1:${port}`;
  sampler = setInterval(() => {
    let largest = 0;
    for (const pid of workerdPids().filter((p) => !before.has(p))) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]) * 1024;
        rss.set(pid, Math.max(rss.get(pid) ?? 0, hwm));
        largest = Math.max(largest, Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024);
      } catch {}
    }
    timeline.push([Date.now(), largest]);
  }, 200);
  const api = async (path, method = "GET", body) => {
    let res;
    // A poll that lands while the Worker is busy with a transfer can go unanswered: give up on it and ask again.
    for (let attempt = 0; !res; attempt++) {
      try {
        res = await fetch(base + path, {
          method,
          headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
          body: body && JSON.stringify(body),
          signal: AbortSignal.timeout(method === "GET" ? 10_000 : 120_000),
        });
      } catch (err) {
        if (method !== "GET" || attempt > 30) throw err;
      }
    }
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const settled = async (kind) => {
    for (let i = 0; i < 3000; i++) {
      const { jobs } = await api(`/api/jobs?kind=${kind}&limit=10`);
      const job = jobs.find((j) => j.phase === "settled");
      if (job) return job;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${kind} did not finish in 10 minutes`);
  };

  // ---- the Worker: producer, then the consumer it starts ----
  const idle = Math.max(
    0,
    ...workerdPids()
      .filter((p) => !before.has(p))
      .map((pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024),
  );
  step("worker ready; creating the mirror (producer, then consumer)");
  const t0 = Date.now();
  await api("/api/mirrors", "POST", {
    source: { url: `${server.url}/src.git`, branch: "main" },
    destination: { url: `${server.url}/dst.git`, group: "bench", project: "dst", branch: "main" },
  });
  const produce = await settled("mirror-produce");
  if (produce.status !== "done") throw new Error(`producer: ${produce.status}: ${produce.error}`);
  const consume = await settled("mirror-consume");
  if (consume.status !== "done") throw new Error(`consumer: ${consume.status}: ${consume.error}`);
  const endToEnd = Date.now() - t0;
  step("worker done; checking the destination");
  const pushed = (await sh(`git --git-dir=dst.git rev-parse main`)).trim();
  if (pushed !== commit) throw new Error(`destination is at ${pushed}, expected ${commit}`);
  const objectBytes = (await api(`/api/jobs/${produce.id}`)).job.result.objects[0].size;
  const workerProduce = produce.finishedAt - produce.startedAt;
  const workerConsume = consume.finishedAt - consume.startedAt;

  // ---- the same work by the command-line tools ----
  step("the same work with git, tar and age");
  writeFileSync(join(work, "identity"), IDENTITY + "\n");
  let t = Date.now();
  await sh(
    `rm -rf cli && mkdir cli && cd cli && git clone -q --mirror ${server.url}/src.git repo.git && tar czf - repo.git | age -r ${RECIPIENT} > ../object.tar.age`,
  );
  const cliProduce = Date.now() - t;
  t = Date.now();
  await sh(
    `rm -rf out && mkdir out && cd out && age -d -i ../../identity ../object.tar.age | tar xzf - && git --git-dir=repo.git push -q --force ${server.url}/dst-cli.git main:refs/heads/main`,
  );
  const cliConsume = Date.now() - t;

  const peak = Math.max(0, ...rss.values());
  const peakIn = (job) =>
    Math.max(0, ...timeline.filter(([t]) => t >= job.startedAt && t <= job.finishedAt).map(([, b]) => b));
  console.log(
    `\nforgeline mirror benchmark: pack ${(packBytes / 1048576).toFixed(1)} MiB (${files} commits, random blobs), object ${(objectBytes / 1048576).toFixed(1)} MiB`,
  );
  console.log(
    `producer   worker ${seconds(workerProduce).padStart(7)} s   CLI (git clone --mirror | tar czf | age) ${seconds(cliProduce).padStart(7)} s   ratio ${(workerProduce / cliProduce).toFixed(2)}`,
  );
  console.log(
    `consumer   worker ${seconds(workerConsume).padStart(7)} s   CLI (age -d | tar xzf | git push)        ${seconds(cliConsume).padStart(7)} s   ratio ${(workerConsume / cliConsume).toFixed(2)}`,
  );
  console.log(
    `VmRSS peak while the producer job ran: ${(peakIn(produce) / 1048576).toFixed(0)} MiB; while the consumer job ran: ${(peakIn(consume) / 1048576).toFixed(0)} MiB (sampled every 200 ms)`,
  );
  console.log(`end to end (POST /api/mirrors → destination pushed, queue hops included): ${seconds(endToEnd)} s`);
  console.log(
    `peak RSS of workerd: ${(peak / 1048576).toFixed(0)} MiB (VmHWM; idle before the run ${(idle / 1048576).toFixed(0)} MiB; ${rss.size} workerd process(es): ${[...rss.entries()].map(([p, b]) => `${p}=${(b / 1048576).toFixed(0)}MiB`).join(", ")})`,
  );
} finally {
  clearInterval(sampler);
  await worker?.dispose().catch(() => {});
  await server.close();
  rmSync(work, { recursive: true, force: true });
}

function workerdPids() {
  const mine = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!cmd.includes("workerd")) continue;
      // Only descendants of this process: other people's workerds are not ours to measure.
      let pid = entry;
      for (let depth = 0; depth < 10 && pid !== "1" && pid !== "0"; depth++) {
        if (pid === String(process.pid)) {
          mine.push(entry);
          break;
        }
        pid = /PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1];
      }
    } catch {}
  }
  return mine;
}
