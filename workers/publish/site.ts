// The SITES bucket's layout, the one place that writes it:
//   u/<owner>/<repo>/<commit10>/…          one build's site (pages, index.html, search.json, build_log.json, manifest.json)
//   u/<owner>/<repo>/project.json          every build { id, created_at, started_at, ended_at, status, success }, newest last
//   u/<owner>/<repo>/.refs/<ref>           the latest successful build of a branch or tag (JSON { commit, build })
//   u/<owner>/<repo>/.refs/.latest         the latest successful build of any ref (what u/<owner>/<repo>/ shows)

import type { BuildLog, ProjectBuild } from "./build-log";

export const repoPrefix = (owner: string, repo: string) => `u/${owner}/${repo}/`;
export const commitPrefix = (owner: string, repo: string, commit: string) =>
  `${repoPrefix(owner, repo)}${commit.slice(0, 10)}/`;
export const refKey = (owner: string, repo: string, ref: string) =>
  `${repoPrefix(owner, repo)}.refs/${encodeURIComponent(shortRef(ref))}`;
export const latestKey = (owner: string, repo: string) => `${repoPrefix(owner, repo)}.refs/.latest`;

/** `refs/heads/master` → `master`, `refs/tags/v1` → `v1`. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  json: "application/json; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
};

export function contentType(path: string): string {
  return TYPES[/\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

export async function putFile(bucket: R2Bucket, key: string, body: string): Promise<void> {
  await bucket.put(key, body, { httpMetadata: { contentType: contentType(key) } });
}

export interface RefPointer {
  commit: string;
  build: string;
}

/** Appends (or updates) a build in project.json. Only the repo's chain writes it, one build at a time. */
export async function recordProjectBuild(
  bucket: R2Bucket,
  owner: string,
  repo: string,
  build: ProjectBuild,
): Promise<void> {
  const key = `${repoPrefix(owner, repo)}project.json`;
  const current = await bucket.get(key);
  const project = current
    ? ((await current.json()) as { repo_owner: string; repo_name: string; builds: ProjectBuild[] })
    : { repo_owner: owner, repo_name: repo, builds: [] };
  project.builds = project.builds.filter((b) => b.id !== build.id);
  project.builds.push(build);
  await putFile(bucket, key, JSON.stringify(project, null, 2));
}

/** Points the ref (and the repo's front page) at a successful build; a failed build never calls this. */
export async function pointRefs(
  bucket: R2Bucket,
  owner: string,
  repo: string,
  ref: string,
  pointer: RefPointer,
): Promise<void> {
  const body = JSON.stringify(pointer);
  await Promise.all([putFile(bucket, refKey(owner, repo, ref), body), putFile(bucket, latestKey(owner, repo), body)]);
}

/** Removes what a failed build wrote under its commit path (the build log is written after). */
export async function removeBuildFiles(bucket: R2Bucket, prefix: string): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    const keys = page.objects.map((o) => o.key);
    if (keys.length) await bucket.delete(keys);
    removed += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return removed;
}

/** The build log at a commit path, if any (to keep a good site from being removed by a failed rebuild). */
export async function readBuildLog(bucket: R2Bucket, prefix: string): Promise<BuildLog | null> {
  const o = await bucket.get(`${prefix}build_log.json`);
  return o ? ((await o.json()) as BuildLog) : null;
}
