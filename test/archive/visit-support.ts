// Test support for visits: repos built with the real git CLI on the loopback git server, visits started
// through the real API and job engine, and what git itself says about a repo (objects, refs) to compare with.

import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { admin, call, eventually, json, type Answer } from "../support/http";
import { parseRepoUrl } from "../../workers/core/repo-url";
import { knownObjects, type StoredKind } from "../../workers/archive/store";

export interface ShellOut {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBase64?: string;
}

/** Runs a bash script (set -euo pipefail) under the git server's root. */
export async function sh(
  script: string,
  opts: { cwd?: string; allowFail?: boolean; binary?: boolean; stdin?: Uint8Array } = {},
): Promise<ShellOut> {
  const res = await fetch(`${env.GIT_SERVER}/_control/sh`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      script,
      cwd: opts.cwd,
      binary: opts.binary,
      stdinBase64: opts.stdin ? base64Of(opts.stdin) : undefined,
    }),
  });
  const out = (await res.json()) as ShellOut;
  if (out.code !== 0 && !opts.allowFail)
    throw new Error(`script failed (${out.code}): ${out.stderr}\n--- script:\n${script}`);
  return out;
}

let counter = 0;
export function repoName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-${counter}`;
}

export interface TestRepo {
  /** Path of the bare repo under the server root, e.g. `acme/x.git`. */
  bare: string;
  /** The URL save-code-now is given. */
  url: string;
  /** The origin URL the archive records (canonical). */
  origin: string;
}

/** A bare repo `acme/<name>.git` filled by `script`, run in a scratch work tree on branch main. */
export async function makeRepo(name: string, script: string, prefix = ""): Promise<TestRepo> {
  const bare = `acme/${name}.git`;
  await sh(
    `mkdir -p acme && rm -rf "work-${name}" && git init -q -b main "work-${name}" && cd "work-${name}"
${script}
cd .. && git clone -q --bare "work-${name}" "${bare}"`,
  );
  const url = `${env.GIT_SERVER}${prefix}/${bare}`;
  return { bare, url, origin: parseRepoUrl(url).url };
}

/** Runs `script` in the work tree of `name`, then pushes everything (branches, tags, deletions) to its bare repo. */
export async function change(name: string, script: string): Promise<void> {
  await sh(`cd "work-${name}"
${script}
git push -q --mirror "../acme/${name}.git"`);
}

/** POST save code now; answers the job id. */
export async function saveNow(url: string): Promise<string> {
  const res = await json(admin(`/api/1/origin/save/git/url/${url}/`, "POST"));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.job as string;
}

export async function jobView(id: string): Promise<Answer> {
  return (await json(call(`/api/jobs/${id}`))).body.job;
}

/** Waits until the job settles (final, or failed for good); answers its view. */
export async function settled(id: string, timeoutMs = 45_000): Promise<Answer> {
  let last: Answer;
  try {
    return await eventually(
      async () => {
        last = await jobView(id);
        return last?.phase === "settled" && last;
      },
      timeoutMs,
      `job ${id} to settle`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)?.slice(0, 3000)}`, { cause: err });
  }
}

/** Saves the origin now and waits for the visit's job to settle. */
export async function visit(url: string): Promise<Answer> {
  return settled(await saveNow(url));
}

const GIT_TO_KIND: Record<string, StoredKind> = {
  blob: "content",
  tree: "directory",
  commit: "revision",
  tag: "release",
};

/** Every object of the bare repo as git lists it: id → type. */
export async function gitObjects(bare: string): Promise<Map<string, string>> {
  const out = await sh(`git cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)'`, { cwd: bare });
  return new Map(
    out.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ") as [string, string]),
  );
}

/** The refs git has (name → id and type of the object), and where HEAD points. */
export async function gitRefs(
  bare: string,
): Promise<{ refs: Map<string, { oid: string; type: string }>; head: string | null }> {
  const out = await sh(`git for-each-ref --format='%(objectname) %(objecttype) %(refname)'`, { cwd: bare });
  const refs = new Map<string, { oid: string; type: string }>();
  for (const line of out.stdout.split("\n").filter(Boolean)) {
    const [oid, type, ...name] = line.split(" ");
    refs.set(name.join(" "), { oid: oid!, type: type! });
  }
  const head = (await sh(`git symbolic-ref -q HEAD || true`, { cwd: bare })).stdout.trim() || null;
  return { refs, head };
}

/** Asserts that every object git has for the repo is in the archive, in the table its type says. */
export async function expectAllArchived(objects: Map<string, string>): Promise<void> {
  for (const [gitType, kind] of Object.entries(GIT_TO_KIND)) {
    const ids = [...objects].filter(([, t]) => t === gitType).map(([oid]) => oid);
    const known = await knownObjects(env, ids, [kind]);
    const missing = ids.filter((id) => !known.has(id));
    expect(missing, `${gitType}s missing from the archive`).toEqual([]);
  }
}

/** The snapshot the archive should record for these refs, built from git's own answers. */
export function expectedBranches(
  g: Awaited<ReturnType<typeof gitRefs>>,
): Record<string, { target: string; targetType: string } | null> {
  const typeOf: Record<string, string> = { commit: "revision", tag: "release", tree: "directory", blob: "content" };
  const branches: Record<string, { target: string; targetType: string } | null> = {};
  for (const [name, r] of g.refs) branches[name] = { target: r.oid, targetType: typeOf[r.type]! };
  if (g.head) branches["HEAD"] = g.refs.has(g.head) ? { target: g.head, targetType: "alias" } : null;
  return branches;
}

export function bytesOfBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function base64Of(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
