// `npm run bench:publish`: publish builds on the real system (`wrangler dev` on port 8813, the loopback git
// server): the whole en_ult Bible (66 books of aligned USFM 3) first build, the same after a one-book change
// (incremental), en-ulb-v7 (66 books of USFM 2) and en-obs (50 stories). Reports wall time from the push to the
// settled build, the build's own step timings, pages converted and reused, and the workerd process's RSS; beside
// them, in the same run, usfm-js alone parsing the same books in Node (the library's own floor) and the git CLI
// fetching the same tree (depth 1).
// Options: --port 8813

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import usfm from "usfm-js";
import { startSystem } from "../test/support/tagbuild-dev.mjs";
import {
  commitChange,
  makeContentRepo,
  pushBranch,
  registerPublishRepo,
  settledBuild,
} from "../test/support/publish-dev.mjs";

const opts = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : [])),
);
const port = Number(opts.port ?? 8813);

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

const rssKb = (pids) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      return sum;
    }
  }, 0);

const sys = await startSystem({ port });
const rows = [];
try {
  // wrangler dev may still be reloading once after it first answers.
  for (let ok = 0; ok < 3;) {
    ok = (await fetch(`${sys.base}/healthz`)
      .then((r) => r.ok)
      .catch(() => false))
      ? ok + 1
      : 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const pids = workerdPids(sys.devPid);
  const baseline = rssKb(pids);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pids))), 100);

  async function build(label, name, repo, commit, before) {
    const url = `${sys.git}/o/${name}`;
    const startPeak = peak;
    const t0 = Date.now();
    const [id] = await pushBranch(sys.base, url, name, commit, before);
    const b = await settledBuild(sys.base, id, 900_000);
    const wall = Date.now() - t0;
    const steps = (b.log ?? []).filter((l) => /^(fetch|tree|plan|convert): \d+ ms$/.test(l)).join(", ");
    rows.push({
      label,
      status: b.build.status,
      wall,
      converted: b.build.filesConverted,
      reused: b.build.filesReused,
      peakMb: Math.round(peak / 1024),
      growthMb: Math.round((peak - baseline) / 1024),
      steps,
    });
    void startPeak;
    return b;
  }

  const ult = makeContentRepo(sys.gitRoot, "en_ult", "en_ult-v24");
  await registerPublishRepo(sys.base, sys.git, `${sys.git}/o/en_ult`);
  await build("en_ult first build", "en_ult", ult, ult.commit);
  const changed = commitChange(ult, "Titus: slave", (work) => {
    const f = join(work, "57-TIT.usfm");
    writeFileSync(f, readFileSync(f, "utf8").replace("\\w servant|", "\\w slave|"));
  });
  await build("en_ult one-book change", "en_ult", ult, changed, ult.commit);
  const ulb = makeContentRepo(sys.gitRoot, "en-ulb", "en-ulb-v7");
  await registerPublishRepo(sys.base, sys.git, `${sys.git}/o/en-ulb`);
  await build("en-ulb-v7 first build", "en-ulb", ulb, ulb.commit);
  const obs = makeContentRepo(sys.gitRoot, "en-obs", "en-obs-rc-0.2");
  await registerPublishRepo(sys.base, sys.git, `${sys.git}/o/en-obs`);
  await build("en-obs first build", "en-obs", obs, obs.commit);
  clearInterval(sampler);

  // References, same run: usfm-js alone over the same books in Node, and git fetching the same tree (depth 1).
  const refs = [];
  for (const [label, repo] of [
    ["en_ult", ult],
    ["en-ulb-v7", ulb],
  ]) {
    const books = readdirSync(repo.work).filter((f) => /^\d\d-\w+\.usfm$/.test(f));
    const t0 = Date.now();
    for (const f of books) usfm.toJSON(readFileSync(join(repo.work, f), "utf8"));
    refs.push(`usfm-js alone, ${label} (${books.length} books, Node): ${Date.now() - t0} ms`);
    const t1 = Date.now();
    execFileSync("bash", [
      "-c",
      `d=$(mktemp -d); git clone -q --depth 1 "${sys.git}/o/${label === "en_ult" ? "en_ult" : "en-ulb"}.git" "$d"; rm -rf "$d"`,
    ]);
    refs.push(`git clone --depth 1, ${label} from the same server: ${Date.now() - t1} ms`);
  }
  for (const r of [ult, ulb, obs]) r.cleanup();

  console.log(`\npublish builds against wrangler dev (workerd RSS before: ${Math.round(baseline / 1024)} MB)`);
  console.log("build                      status    wall ms  converted  reused  peak RSS MB  growth MB  steps");
  for (const r of rows)
    console.log(
      `${r.label.padEnd(26)} ${r.status.padEnd(9)} ${String(r.wall).padStart(7)}  ${String(r.converted).padStart(9)}  ${String(r.reused).padStart(6)}  ${String(r.peakMb).padStart(11)}  ${String(r.growthMb).padStart(9)}  ${r.steps}`,
    );
  console.log("\nreferences (same run):");
  for (const r of refs) console.log(`  ${r}`);
} finally {
  await sys.stop();
}
