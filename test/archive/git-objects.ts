// Test support: builds repos with the real git CLI on the loopback git server (/_control/sh) and reads back
// every object exactly as git stores it, to feed the archive and check its ids against git's own.

import { env } from "cloudflare:workers";
import { contentFromBlob, directoryFromTree, releaseFromTag, revisionFromCommit } from "../../workers/archive/convert";
import type { Content, Directory, Release, Revision } from "../../workers/archive/model";

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBase64?: string;
}

/** Runs a bash script on the git server's machine, under its root; throws when it fails. */
export async function sh(script: string, opts: { cwd?: string; binary?: boolean } = {}): Promise<ShellResult> {
  const res = await fetch(`${env.GIT_SERVER}/_control/sh`, {
    method: "POST",
    body: JSON.stringify({ script, ...opts }),
  });
  const out = (await res.json()) as ShellResult;
  if (out.code !== 0) throw new Error(`shell failed (${out.code}): ${out.stderr}\n${script}`);
  return out;
}

export interface GitObject {
  oid: string;
  type: "blob" | "tree" | "commit" | "tag";
  data: Uint8Array;
}

/** Every object of the bare or work repo at `dir` (relative to the server root), as `git cat-file --batch` gives it. */
export async function allObjects(dir: string): Promise<GitObject[]> {
  const out = await sh("git cat-file --batch-all-objects --batch", { cwd: dir, binary: true });
  const bytes = Uint8Array.from(atob(out.stdoutBase64!), (c) => c.charCodeAt(0));
  const objects: GitObject[] = [];
  let at = 0;
  while (at < bytes.length) {
    const eol = bytes.indexOf(0x0a, at);
    const [oid, type, size] = new TextDecoder().decode(bytes.subarray(at, eol)).split(" ");
    const start = eol + 1;
    objects.push({ oid: oid!, type: type as GitObject["type"], data: bytes.slice(start, start + Number(size)) });
    at = start + Number(size) + 1;
  }
  return objects;
}

export interface Converted {
  contents: Content[];
  directories: Directory[];
  revisions: Revision[];
  releases: Release[];
}

/** The archive's view of git objects, by the same conversions the loader uses. */
export async function convertAll(objects: GitObject[], sizeLimit?: number): Promise<Converted> {
  const out: Converted = { contents: [], directories: [], revisions: [], releases: [] };
  for (const o of objects) {
    if (o.type === "blob") out.contents.push(await contentFromBlob(o.data, sizeLimit));
    else if (o.type === "tree") out.directories.push(directoryFromTree(o.oid, o.data));
    else if (o.type === "commit") out.revisions.push(revisionFromCommit(o.oid, o.data));
    else out.releases.push(releaseFromTag(o.oid, o.data));
  }
  return out;
}

/**
 * A repo with what an archive meets: nested dirs, an executable, a symlink, a non-UTF-8 file name, a submodule
 * (gitlink), merges, a gpgsig-like extra header, an odd timezone, a Latin-1 message, and tags on a commit,
 * a blob and a tree. `name` must be unique per test file.
 */
export async function buildVarietyRepo(name: string): Promise<{ dir: string; head: string }> {
  const dir = `${name}.work`;
  await sh(
    `rm -rf ${dir} && git init -q -b main ${dir} && cd ${dir}
export GIT_AUTHOR_DATE='1700000000 +0200' GIT_COMMITTER_DATE='1700000100 +0200'
mkdir -p src/deep && printf 'hello\\n' > README && printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod +x run.sh
printf 'deep\\n' > src/deep/file.txt && ln -s README link && printf 'latin\\n' > "$(printf 'caf\\351.txt')"
git add -A && git commit -q -m "first"
git checkout -q -b side && printf 'side\\n' >> README && git commit -qam "side work"
git checkout -q main && printf 'main\\n' > main.txt && git add main.txt && git commit -q -m "main work"
git merge -q --no-ff side -m "merge side"
git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,vendor/lib && git commit -q -m "add submodule"
GIT_COMMITTER_DATE='1700000200 -0000' git -c i18n.commitEncoding=ISO-8859-1 commit -q --allow-empty -F <(printf 'caf\\351 latin-1\\n')
body=$(git cat-file commit HEAD | sed -e 's/^author \\(.*\\) +0200$/author \\1 -0000/' -e '/^committer /a gpgsig -----BEGIN PGP SIGNATURE-----\\n \\n fake\\n -----END PGP SIGNATURE-----')
new=$(printf '%s\\n' "$body" | git hash-object -t commit -w --stdin) && git update-ref refs/heads/main $new
git tag -a v1.0 -m "release 1.0"
git tag -a blobtag -m "a tag on a blob" $(git rev-parse HEAD:README)
git tag -a treetag -m "a tag on a tree" $(git rev-parse HEAD^{tree})
git tag light HEAD~1`,
  );
  const head = (await sh("git rev-parse HEAD", { cwd: dir })).stdout.trim();
  return { dir, head };
}
