// Registry benchmark: many repos under one registry, each with a history of pushes; a reference observer started
// afterwards (load phase: fold every stream to willBlock, clone each repo once), then live pushes timed from the
// webhook to the shadow's updated ref, beside `git fetch` of the same change from the same server, in the same run.
//
//   npm run bench:registry -- [--repos 1000] [--events 20] [--pushes 30] [--port 8854]

import { execFile } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  OBSERVER_TOKENS,
  SECRET,
  api,
  commit,
  kill,
  makeRepo,
  startObserver,
  startSystem,
  until,
} from "../test/e2e/observer-system.mjs";

const { values: opt } = parseArgs({
  options: {
    repos: { type: "string", default: "1000" },
    events: { type: "string", default: "20" },
    pushes: { type: "string", default: "30" },
    port: { type: "string", default: "8854" },
  },
});
const REPOS = Number(opt.repos);
const EVENTS = Number(opt.events);
const PUSHES = Number(opt.pushes);

/** git over the network: never synchronous here, since the git server runs in this very process. */
function gitAsync(args) {
  return new Promise((resolve, reject) => execFile("git", args, (err, out) => (err ? reject(err) : resolve(out))));
}

/** `wrangler dev` answers 503 "restarted mid-request" when its workerd restarts; registering again is idempotent. */
async function again(work, tries = 5) {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (i >= tries || !/restarted mid-request|fetch failed/.test(err.message)) throw err;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function inParallel(items, width, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function pushBody(url, after) {
  return JSON.stringify({
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after,
    commits: [],
    repository: { html_url: url },
  });
}

async function deliver(base, url, after, delivery = randomUUID()) {
  const body = pushBody(url, after);
  const res = await fetch(`${base}/hooks/gitea`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Gitea-Event": "push",
      "X-Gitea-Delivery": delivery,
      "X-Gitea-Signature": createHmac("sha256", SECRET).update(body).digest("hex"),
    },
    body,
  });
  if (res.status !== 202) throw new Error(`webhook ${res.status}: ${await res.text()}`);
}

/** The shadow's main ref, read from disk (no process per poll). */
function refOf(gitDir) {
  const loose = join(gitDir, "refs", "heads", "main");
  if (existsSync(loose)) return readFileSync(loose, "utf8").trim();
  const packed = readFileSync(join(gitDir, "packed-refs"), "utf8")
    .split("\n")
    .find((l) => l.endsWith(" refs/heads/main"));
  return packed?.split(" ")[0];
}

const sys = await startSystem({ port: Number(opt.port) });
const observerRoot = mkdtempSync(join(tmpdir(), "bench-observer-"));
let observer;
try {
  // One real repo shared by every path (symlinks): the load phase clones each path once, from the real git server.
  const template = makeRepo(sys.gitRoot, "template/base", 1);
  mkdirSync(join(sys.gitRoot, "bench"), { recursive: true });
  const urls = [];
  for (let i = 0; i < REPOS; i++) {
    symlinkSync(template.bare, join(sys.gitRoot, "bench", `r${i}.git`));
    urls.push(`${sys.git}/bench/r${i}`);
  }
  const t0 = Date.now();
  const ids = [];
  await inParallel(urls, 16, async (url) =>
    ids.push((await again(() => api(sys.base, "POST", "/api/repos", { url, pipelines: {} }))).repo.id),
  );
  // Each repo's log: registered plus EVENTS - 1 pushes.
  const deliveries = urls.flatMap((url) =>
    Array.from({ length: EVENTS - 1 }, (_, n) => [url, n.toString(16).padStart(40, "0")]),
  );
  // Same delivery id on a retry: the repo log stores each delivery once.
  await inParallel(deliveries, 32, ([url, after]) => {
    const id = randomUUID();
    return again(() => deliver(sys.base, url, after, id));
  });
  console.log(
    `setup: ${REPOS} repos × ${EVENTS} events (${REPOS * EVENTS} repo events) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // Load phase.
  observer = startObserver(sys, {
    token: OBSERVER_TOKENS[0],
    prefixes: ["bench/"],
    root: observerRoot,
    extra: process.env.BENCH_VERBOSE ? ["--verbose"] : [],
  });
  observer.exited.then((code) =>
    console.error(`observer exited (${code}):\n${observer.stderrText.split("\n").slice(-20).join("\n")}`),
  );
  const loaded = await until(
    async () => observer.statuses.find((s) => s.status === "loaded"),
    1_800_000,
    "observer loaded",
    200,
  );
  const eventsFolded = loaded.folded + loaded.repoEvents;
  console.log(
    `load phase: ${loaded.repos} shadows, ${loaded.folded} registry + ${loaded.repoEvents} repo events folded in ${(loaded.ms / 1000).toFixed(2)} s` +
      ` → ${Math.round(eventsFolded / (loaded.ms / 1000))} events/s folded (goal: 20,000 events under 10 s)`,
  );

  // Live: pushes to one real (non-shared) repo, webhook → shadow ref updated, beside `git fetch` of the same change.
  const live = makeRepo(sys.gitRoot, "bench/live", 1);
  const liveUrl = `${sys.git}/bench/live`;
  const liveId = (await api(sys.base, "POST", "/api/repos", { url: liveUrl, pipelines: {} })).repo.id;
  const shadowDir = join(observerRoot, sys.host, "bench", "live", `${liveId}.git`);
  await until(async () => existsSync(join(shadowDir, "HEAD")), 60_000, "live repo cloned");
  await new Promise((r) => setTimeout(r, 500)); // its stream watch opens after the clone
  console.log("live repo cloned by the observer");
  const reference = mkdtempSync(join(tmpdir(), "bench-ref-"));
  await gitAsync(["clone", "-q", "--mirror", `${liveUrl}.git`, join(reference, "ref.git")]);
  const observed = [];
  const fetched = [];
  for (let i = 0; i < PUSHES; i++) {
    const head = commit(live.work, `live ${i}`);
    const start = performance.now();
    await deliver(sys.base, liveUrl, head);
    await until(async () => refOf(shadowDir) === head, 30_000, `push ${i} in the shadow`, 2);
    observed.push(performance.now() - start);
    // The same change fetched by hand from the same server, into a mirror that was one commit behind.
    const f0 = performance.now();
    await gitAsync(["--git-dir", join(reference, "ref.git"), "fetch", "-q", "origin"]);
    fetched.push(performance.now() - f0);
  }
  const ms = (x) => `${x.toFixed(0)} ms`;
  console.log(
    `push → shadow updated (${PUSHES} pushes): median ${ms(quantile(observed, 0.5))}, p99 ${ms(quantile(observed, 0.99))} (goal p99 < 2 s)`,
  );
  console.log(
    `git fetch of the same change:           median ${ms(quantile(fetched, 0.5))}, p99 ${ms(quantile(fetched, 0.99))}`,
  );
  rmSync(reference, { recursive: true, force: true });
} catch (err) {
  console.error(`bench failed: ${err.message}`);
  if (observer) console.error(`observer's log (tail):\n${observer.stderrText.split("\n").slice(-20).join("\n")}`);
  process.exitCode = 1;
} finally {
  if (observer) kill(observer);
  await sys.stop();
  rmSync(observerRoot, { recursive: true, force: true });
}
