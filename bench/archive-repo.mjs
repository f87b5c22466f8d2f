// A deterministic repo generator for the archive benchmark: the same arguments always give the same objects
// (same ids), written with `git fast-import` from a seeded PRNG. Files sit two directories deep so that every
// commit makes new trees as well as blobs, as real histories do.
// Usage: node bench/archive-repo.mjs <bare repo dir> [--commits 1000] [--files 12] [--blob-bytes 2600]
//        [--append <n>]   adds n commits on top of main (the same n always adds the same commits)

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** mulberry32: small, fast, good enough to make incompressible-looking file bodies. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A text body of about `bytes` bytes: base64-like lines (compresses to ~75%, like minified source). */
function body(random, bytes) {
  const size = Math.floor(bytes * (0.6 + 0.8 * random()));
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i + 1) % 77 === 0 ? 10 : ALPHABET.charCodeAt((random() * 64) | 0);
  return out;
}

/**
 * Writes commits [from, from + count) into the repo through fast-import; commit i changes `files` paths
 * chosen from a 16×16×12 tree, each with a fresh body.
 */
export async function generate(dir, { commits = 1000, files = 12, blobBytes = 2600, append = 0 } = {}) {
  if (!existsSync(dir)) {
    const init = spawnSync("git", ["init", "-q", "--bare", "-b", "main", dir]);
    if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
  }
  const from = append ? commits : 0;
  const count = append || commits;
  const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: "1" };
  const fi = spawn("git", ["fast-import", "--quiet", "--done"], {
    cwd: dir,
    env: gitEnv,
    stdio: ["pipe", "inherit", "inherit"],
  });
  const done = new Promise((resolve, reject) =>
    fi.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}`)))),
  );
  const write = (chunk) => (fi.stdin.write(chunk) ? Promise.resolve() : new Promise((r) => fi.stdin.once("drain", r)));
  for (let i = from; i < from + count; i++) {
    const random = prng(0x5eed + i * 7919);
    const lines = [
      `commit refs/heads/main\n`,
      `committer Bench Author <bench@forgeline.invalid> ${1_600_000_000 + i * 3600} +0000\n`,
    ];
    const message = Buffer.from(`commit ${i}: change ${files} files\n`);
    lines.push(`data ${message.length}\n`, message);
    if (i > 0) lines.push(i === from ? `from refs/heads/main^0\n` : "");
    for (let f = 0; f < files; f++) {
      const path = `d${((random() * 16) | 0).toString(16)}/e${((random() * 16) | 0).toString(16)}/f${(random() * 12) | 0}.txt`;
      const data = body(random, blobBytes);
      lines.push(`M 100644 inline ${path}\n`, `data ${data.length}\n`, data, "\n");
    }
    lines.push("\n");
    for (const l of lines) if (l) await write(l);
    if (i % 97 === 0)
      await write(
        `tag v${i}\nfrom refs/heads/main\ntagger Bench Author <bench@forgeline.invalid> ${1_600_000_000 + i * 3600} +0000\ndata 8\nrelease\n\n`,
      );
  }
  await write("done\n");
  fi.stdin.end();
  await done;
}

/** Objects and pack bytes of the repo, as git counts them. */
export function repoStats(dir) {
  const out = spawnSync("git", ["count-objects", "-v"], { cwd: dir, encoding: "utf8" }).stdout;
  const field = (k) => Number(new RegExp(`^${k}: (\\d+)`, "m").exec(out)?.[1] ?? 0);
  return { objects: field("count") + field("in-pack"), packBytes: field("size-pack") * 1024 + field("size") * 1024 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir) {
    console.error(
      "usage: node bench/archive-repo.mjs <bare repo dir> [--commits N] [--files N] [--blob-bytes N] [--append N]",
    );
    process.exit(2);
  }
  const opts = Object.fromEntries(
    rest.flatMap((a, i) =>
      a.startsWith("--") ? [[a.slice(2).replace(/-(.)/g, (_, c) => c.toUpperCase()), Number(rest[i + 1])]] : [],
    ),
  );
  await generate(dir, opts);
  console.log(JSON.stringify(repoStats(dir)));
}
