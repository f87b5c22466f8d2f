// `npm run bench:tagbuild`: tag builds on the real system. 200 tag pushes (signed Gitea webhooks) over 50
// repos on the loopback git server, against `wrangler dev`, with 4 reference builder processes connected.
// Reports the median and p99 time from webhook to `building` and to the final state, and jobs/s; beside
// it, in the same run, the git CLI fetching one tag the same minimal way (depth 1, filter tree:0), and the
// peak RSS of the workerd process.
// Options: --tags 200 --repos 50 --builders 4 --concurrency 20 --port 8796

import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DISTRO,
  SECRET,
  api,
  killBuilder,
  makeTagRepo,
  pushTag,
  startBuilder,
  startSystem,
  until,
} from "../test/support/tagbuild-dev.mjs";

const opts = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : [])),
);
const tagCount = Number(opts.tags ?? 200);
const repoCount = Number(opts.repos ?? 50);
const builderCount = Number(opts.builders ?? 4);
const concurrency = Number(opts.concurrency ?? 20);
const port = Number(opts.port ?? 8796);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (x) => `${Math.round(x)} ms`.padStart(9);

/** Pids of `workerd` processes started under `ancestor`. */
function workerdPids(ancestor) {
  const parent = new Map();
  const names = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(d), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(d), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {}
  }
  const under = (pid) => {
    for (let p = pid, i = 0; p > 1 && i < 50; p = parent.get(p) ?? 0, i++) if (p === ancestor) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name.startsWith("workerd") && under(pid)).map(([pid]) => pid);
}

function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
  } catch {
    return { hwm: 0, rss: 0 };
  }
}

const sys = await startSystem({ port, vars: { BUILDER_AYT_SECONDS: "30" } });
const builders = [];
let peakKb = 0;
const sampler = setInterval(() => {
  for (const pid of workerdPids(sys.devPid)) peakKb = Math.max(peakKb, memoryOf(pid).hwm, memoryOf(pid).rss);
}, 200);
try {
  const host = new URL(sys.git).host;
  await api(sys.base, "POST", "/api/forges", { host, kind: "gitea", webhookSecret: SECRET, baseUrl: sys.git });

  // 50 repos, each with its share of the 200 tags (versions 1.0-1, 1.0-2, …), built with the git CLI.
  const perRepo = Math.ceil(tagCount / repoCount);
  const pushes = [];
  for (let r = 0; r < repoCount; r++) {
    const name = `pkg-${r}`;
    const url = `${sys.git}/o/${name}`;
    for (let v = 1; v <= perRepo && pushes.length < tagCount; v++) {
      const repo = makeTagRepo(sys.gitRoot, v === 1 ? name : `${name}-v${v}`, { source: name, version: `1.0-${v}` });
      if (v > 1) {
        // Move the tag into the repo's main bare repo: one repo, several tags.
        execFileSync("git", ["fetch", "-q", repo.path, `refs/tags/${repo.tagName}:refs/tags/${repo.tagName}`], {
          cwd: join(sys.gitRoot, "o", `${name}.git`),
        });
      }
      pushes.push({ url, tagName: repo.tagName, tagId: repo.tagId });
    }
    await api(sys.base, "POST", "/api/repos", { url, pipelines: { tagbuild: { distro: DISTRO } } });
  }

  for (let i = 0; i < builderCount; i++)
    builders.push(
      startBuilder(sys.base, {
        id: `bench-${i}`,
        exec: 'test -s "$FORGELINE_TAG_FILE" && echo "forgeline-message built $FORGELINE_SOURCE"',
      }),
    );
  await until(
    async () =>
      (await api(sys.base, "GET", "/api/builders")).builders.filter((b) => b.connected).length === builderCount ||
      undefined,
    60_000,
    "builders connected",
  );

  // Reference, same run: the git CLI fetching one tag as minimally as Forgeline does.
  const ref = [];
  for (const p of pushes.slice(0, 20)) {
    const dir = mkdtempSync(join(tmpdir(), "forgeline-ref-"));
    execFileSync("git", ["init", "-q", "--bare", dir]);
    const t = performance.now();
    // Asynchronously: the git server runs in this very process.
    await promisify(execFile)(
      "git",
      [
        "-c",
        "protocol.version=2",
        "fetch",
        "-q",
        "--depth",
        "1",
        "--filter=tree:0",
        `${p.url}.git`,
        `refs/tags/${p.tagName}:refs/tags/${p.tagName}`,
      ],
      { cwd: dir },
    );
    ref.push(performance.now() - t);
    rmSync(dir, { recursive: true, force: true });
  }

  // The pushes, `concurrency` webhooks in flight at a time.
  const sentAt = new Map();
  const start = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pushes.length) {
        const p = pushes[next++];
        const t = Date.now();
        const [id] = await pushTag(sys.base, p.url, p.tagName, p.tagId);
        sentAt.set(id, t);
      }
    }),
  );
  const hooksDone = Date.now();
  const jobs = await until(
    async () => {
      const { jobs } = await api(sys.base, "GET", "/api/tagbuild/jobs?limit=500");
      const final = jobs.filter(
        (j) => ["uploaded", "irrecoverable", "not_for_us", "failed"].includes(j.status) && j.finishedAt,
      );
      return final.length >= pushes.length ? jobs : undefined;
    },
    20 * 60_000,
    "every job final",
    500,
  );
  const end = Math.max(...jobs.map((j) => j.finishedAt));
  const toBuilding = jobs.filter((j) => j.buildingAt).map((j) => j.buildingAt - sentAt.get(j.id));
  const toFinal = jobs.map((j) => j.finishedAt - sentAt.get(j.id));
  const statuses = jobs.reduce((acc, j) => ({ ...acc, [j.status]: (acc[j.status] ?? 0) + 1 }), {});

  console.log(
    `\nforgeline tag-build benchmark: ${pushes.length} tag pushes over ${repoCount} repos, ${builderCount} reference builders, wrangler dev on ${sys.base}`,
  );
  console.log(`outcomes: ${JSON.stringify(statuses)}`);
  console.log(`webhooks sent in ${hooksDone - start} ms (${concurrency} in flight)`);
  console.log(
    `webhook → building   median ${ms(pct(toBuilding, 50))}   p99 ${ms(pct(toBuilding, 99))}   (${toBuilding.length} jobs)`,
  );
  console.log(`webhook → final      median ${ms(pct(toFinal, 50))}   p99 ${ms(pct(toFinal, 99))}`);
  console.log(
    `throughput           ${(pushes.length / ((end - start) / 1000)).toFixed(2)} jobs/s (first webhook to last final state: ${end - start} ms)`,
  );
  console.log(
    `reference: git CLI fetch of one tag (depth 1, filter tree:0, protocol v2), ${ref.length} runs: median ${ms(pct(ref, 50))}   p99 ${ms(pct(ref, 99))}`,
  );
  console.log(`workerd peak RSS: ${(peakKb / 1024).toFixed(0)} MiB`);
  if (statuses.uploaded !== pushes.length) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  for (const b of builders) killBuilder(b);
  await sys.stop();
}
