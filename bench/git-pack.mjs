// `npm run bench:git-pack`: readPack inside workerd on a generated >= 100 MB pack, beside `git index-pack`
// on the same file in the same run. Reports throughput (MB/s of pack), the ratio, and peak RSS of both.
// The Worker runs under Miniflare (wrangler's own) with no inspector, so big transfers do not flood devtools.
// Also measures the live set of the same parse in Node with forced GCs (workerd's RSS includes uncollected garbage).
// Options: --mb 110 (pack size target) --cache 16777216 (readPack cacheBytes) --window 33554432 --no-spill (no range re-reads:
// fails once a base is evicted) --keep (keep the temp dir) --repo <bare repo kept earlier> (skip generation)

import { execFileSync, spawn } from "node:child_process";
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const mb = Number(opt("mb", 110));
const cache = Number(opt("cache", 16 * 1024 * 1024));
const windowBytes = Number(opt("window", 32 * 1024 * 1024));
const spill = !args.includes("--no-spill");
const reuse = opt("repo", undefined); // a bare repo from an earlier --keep run, to skip generation
const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const { Miniflare } = fromWrangler("miniflare");
const esbuild = fromWrangler("esbuild");

const tmp = mkdtempSync(join(tmpdir(), "forgeline-bench-git-pack-"));
const cleanup = () => args.includes("--keep") || rmSync(tmp, { recursive: true, force: true });
process.on("exit", cleanup);

function log(...a) {
  console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
}

/** Samples VmRSS of `pid` until stopped; returns the peak in MiB (and VmHWM when readable). */
function sampleRss(pid) {
  let peak = 0;
  const read = () => {
    try {
      const s = readFileSync(`/proc/${pid}/status`, "utf8");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024;
      if (rss > peak) peak = rss;
      return { rss, hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024 };
    } catch {
      return undefined;
    }
  };
  const base = read();
  const timer = setInterval(read, 20);
  return { base: base?.rss ?? 0, stop: () => (clearInterval(timer), { peak, hwm: read()?.hwm ?? 0 }) };
}

function workerdPid() {
  const mine = new Set([String(process.pid)]);
  // workerd is a child (or grandchild) of this process.
  for (let depth = 0; depth < 3; depth++)
    for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
        if (mine.has(ppid)) mine.add(p);
      } catch {}
    }
  for (const p of mine) {
    try {
      if (readFileSync(`/proc/${p}/comm`, "utf8").trim() === "workerd") return Number(p);
    } catch {}
  }
  throw new Error("workerd process not found");
}

// 1. The pack: a synthetic history through git fast-import, then one repack with deltas.
const repo = reuse ?? join(tmp, "repo.git");
if (!reuse) {
  log(`generating a ~${mb} MB repository in ${tmp}`);
  execFileSync("git", ["init", "-q", "--bare", repo]);
  await new Promise((resolve, reject) => {
    const gen = spawn("node", [join(root, "bench/git-pack/generate.mjs"), String(mb)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const imp = spawn("git", ["fast-import", "--quiet"], { cwd: repo, stdio: ["pipe", "inherit", "inherit"] });
    gen.stdout.pipe(imp.stdin);
    imp.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`))));
  });
  log("repacking (git repack -adf --window=10 --depth=50)");
  execFileSync(
    "git",
    ["-c", "core.bigFileThreshold=512k", "-c", "pack.threads=2", "repack", "-adfq", "--window=10", "--depth=50"],
    { cwd: repo },
  );
}
const packDir = join(repo, "objects/pack");
const packFile = join(
  packDir,
  readdirSync(packDir).find((f) => f.endsWith(".pack")),
);
const packBytes = statSync(packFile).size;
const packMB = packBytes / 1024 / 1024;
const checksum = packFile.match(/pack-([0-9a-f]{40})\.pack$/)[1];
const objectCount = Number(
  execFileSync("git", ["count-objects", "-v"], { cwd: repo, encoding: "utf8" }).match(/in-pack: (\d+)/)[1],
);
log(`pack: ${packMB.toFixed(1)} MiB, ${objectCount} objects`);
if (packMB < 100) log(`warning: the pack is under 100 MiB; raise --mb`);

// 2. Reference: git index-pack on the same file (single-threaded, and git's default threads).
async function timeGit(threads) {
  const out = join(tmp, `ref-${threads}.idx`);
  const t0 = performance.now();
  const child = spawn("git", ["index-pack", ...(threads ? [`--threads=${threads}`] : []), "-o", out, packFile], {
    cwd: tmp,
    stdio: "ignore",
  });
  const rss = sampleRss(child.pid);
  const code = await new Promise((r) => child.on("exit", r));
  const { peak } = rss.stop();
  if (code !== 0) throw new Error(`git index-pack exited ${code}`);
  rmSync(out, { force: true });
  return { seconds: (performance.now() - t0) / 1000, peakMiB: peak };
}
const git1 = await timeGit(1);
const gitN = await timeGit(0);

// 3. readPack in workerd, fetching the pack from a local HTTP server (ranges supported for --spill).
const server = createServer((req, res) => {
  const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? "");
  if (range) {
    const [start, end] = [Number(range[1]), Number(range[2])];
    res.writeHead(206, { "Content-Length": end - start + 1 });
    return createReadStream(packFile, { start, end }).pipe(res);
  }
  res.writeHead(200, { "Content-Length": packBytes });
  createReadStream(packFile, { highWaterMark: 256 * 1024 }).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const packUrl = `http://127.0.0.1:${server.address().port}/pack`;

const built = await esbuild.build({
  entryPoints: [join(root, "bench/git-pack/worker.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  external: ["node:*", "cloudflare:*"],
  mainFields: ["module", "main"],
  logLevel: "warning",
});
const mf = new Miniflare({
  modules: [{ type: "ESModule", path: "worker.mjs", contents: built.outputFiles[0].text }],
  compatibilityDate: "2026-04-20",
  compatibilityFlags: ["nodejs_compat"],
  outboundService: undefined,
});
await mf.ready;
const pid = workerdPid();
const rss = sampleRss(pid);
const t0 = performance.now();
const res = await mf.dispatchFetch(
  `http://bench/?pack=${encodeURIComponent(packUrl)}&cache=${cache}&window=${windowBytes}${spill ? "&spill=1" : ""}`,
);
const body = await res.text();
const seconds = (performance.now() - t0) / 1000;
const mem = rss.stop();
await mf.dispose();
server.close();
if (!res.ok) throw new Error(`worker answered ${res.status}: ${body}`);
const result = JSON.parse(body);
if (result.checksum !== checksum || result.count !== objectCount)
  throw new Error(
    `readPack disagrees with git: ${result.count} objects / ${result.checksum}, git ${objectCount} / ${checksum}`,
  );

// 4. The live set of the same parse (Node, forced GC): what readPack itself keeps, garbage excluded.
const liveBuilt = await esbuild.build({
  entryPoints: [join(root, "bench/git-pack/live-memory.ts")],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "warning",
});
const liveScript = join(tmp, "live-memory.mjs");
writeFileSync(liveScript, liveBuilt.outputFiles[0].text);
const liveMem = JSON.parse(
  execFileSync("node", ["--expose-gc", liveScript, packFile, String(cache), String(windowBytes)], { encoding: "utf8" }),
);
if (liveMem.checksum !== checksum) throw new Error("live-memory run disagrees on the checksum");

const report = {
  pack: {
    MiB: +packMB.toFixed(1),
    objects: objectCount,
    types: result.types,
    inflatedMiB: +(result.bytes / 1024 / 1024).toFixed(1),
  },
  readPack: {
    seconds: +seconds.toFixed(2),
    MiBps: +(packMB / seconds).toFixed(1),
    cacheMiB: +(cache / 1024 / 1024).toFixed(1),
    spill,
    spillReads: result.spillReads,
    workerdRssBaseMiB: +rss.base.toFixed(0),
    workerdRssPeakMiB: +mem.peak.toFixed(0),
    workerdRssGrowthMiB: +(mem.peak - rss.base).toFixed(0),
    windowMiB: +(windowBytes / 1024 / 1024).toFixed(1),
    peakLiveMiBNodeForcedGc: liveMem.peakLiveMiB,
  },
  gitIndexPack: {
    threads1: {
      seconds: +git1.seconds.toFixed(2),
      MiBps: +(packMB / git1.seconds).toFixed(1),
      peakRssMiB: +git1.peakMiB.toFixed(0),
    },
    threadsDefault: {
      seconds: +gitN.seconds.toFixed(2),
      MiBps: +(packMB / gitN.seconds).toFixed(1),
      peakRssMiB: +gitN.peakMiB.toFixed(0),
    },
  },
  ratio: {
    readPackVsGit1Thread: +(git1.seconds / seconds).toFixed(2),
    readPackVsGitDefault: +(gitN.seconds / seconds).toFixed(2),
  },
};
console.log(JSON.stringify(report, null, 2));
