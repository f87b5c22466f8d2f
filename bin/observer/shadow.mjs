// Shadows on disk for the reference observer: a bare mirror per repo at `<root>/<host>/<path>/<repo id>.git`,
// created in a temporary sibling and renamed into place (so init is atomic and running it again is a no-op),
// fetched, renamed on a move, made read-only on freeze. Every function is safe to run again after a crash.

import { execFile } from "node:child_process";
import { chmod, lstat, mkdir, readdir, rename, rm, rmdir, stat, writeFile, unlink } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";

/** A shadow directory that exists but is not a git repository: stored on the repo as a strong error, never deleted. */
export class NotAShadow extends Error {}

export function shadowPath(root, host, path, id) {
  return join(root, host, ...path.split("/"), `${id}.git`);
}

function git(args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" }, ...opts },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(
              `git ${args[0] === "--git-dir" ? args[2] : args[0]}: ${(stderr || err.message).trim().split("\n").pop()}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

async function exists(p) {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether `dir` holds a bare git repository (refuses anything else found there). */
async function isShadow(dir) {
  if (!(await exists(dir))) return false;
  try {
    const out = await git(["--git-dir", dir, "rev-parse", "--is-bare-repository"]);
    if (out.trim() === "true" && (await stat(join(dir, "objects"))).isDirectory()) return true;
  } catch {
    // not a repository
  }
  throw new NotAShadow(`not a git repository, left as it is: ${dir}`);
}

/** Clones `cloneUrl` as a bare mirror at `dir`, unless a shadow is there already. Answers whether it cloned. */
export async function initShadow(dir, cloneUrl) {
  if (await isShadow(dir)) return false;
  await mkdir(dirname(dir), { recursive: true });
  // A clone cut short by a crash left its temporary sibling; it is ours by its name, and never in place.
  const base = `${basename(dir)}.tmp-`;
  for (const name of await readdir(dirname(dir)))
    if (name.startsWith(base)) await rm(join(dirname(dir), name), { recursive: true, force: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await git(["clone", "--mirror", "--quiet", cloneUrl, tmp]);
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return true;
}

export async function fetchShadow(dir) {
  await git(["--git-dir", dir, "fetch", "--quiet", "--prune", "origin"]);
}

/** Moves a shadow to its new place and points it at the new URL; a no-op when it is there already. */
export async function moveShadow(root, from, to, cloneUrl) {
  if (from !== to && (await exists(from))) {
    if (await isShadow(to)) throw new NotAShadow(`cannot move ${from}: a shadow is already at ${to}`);
    await mkdir(dirname(to), { recursive: true });
    const writable = await isWritable(from);
    if (!writable) await chmod(from, 0o755);
    await rename(from, to);
    if (!writable) await chmod(to, 0o555);
    await pruneEmpty(root, dirname(from));
  }
  if (cloneUrl && (await isWritable(to))) await git(["--git-dir", to, "remote", "set-url", "origin", cloneUrl]);
}

/** Removes a released shadow (writable again first, since a frozen one is read-only). */
export async function dropShadow(root, dir) {
  if (!(await exists(dir))) return;
  await setWritable(dir, true);
  await rm(dir, { recursive: true, force: true });
  await pruneEmpty(root, dirname(dir));
}

async function isWritable(dir) {
  return ((await stat(dir)).mode & 0o200) !== 0;
}

/** Read-only for a frozen repo: every file and directory loses its write bits; unfreezing gives the owner's back. */
export async function setWritable(dir, writable) {
  const walk = async (p) => {
    const s = await lstat(p);
    if (s.isSymbolicLink()) return;
    if (s.isDirectory()) {
      if (writable) await chmod(p, (s.mode | 0o200) & 0o7777);
      for (const name of await readdir(p)) await walk(join(p, name));
      if (!writable) await chmod(p, s.mode & 0o7555);
    } else await chmod(p, writable ? (s.mode | 0o200) & 0o7777 : s.mode & 0o7555);
  };
  if (await exists(dir)) await walk(dir);
}

/** Removes now-empty parent directories of a moved or dropped shadow, never the root itself. */
async function pruneEmpty(root, dir) {
  for (let d = dir; ; d = dirname(d)) {
    const rel = relative(root, d);
    if (!rel || rel.startsWith("..")) return;
    try {
      if ((await readdir(d)).length) return;
      await rmdir(d);
    } catch {
      return;
    }
  }
}

/** Throws a clear error when `root` cannot be created or written. */
export async function checkRoot(root) {
  try {
    await mkdir(root, { recursive: true });
    const probe = join(root, `.forgeline-observer-probe-${process.pid}`);
    await writeFile(probe, "");
    await unlink(probe);
  } catch (err) {
    throw new Error(`observer root ${root} is not writable: ${err.code ?? err.message}`, { cause: err });
  }
}
