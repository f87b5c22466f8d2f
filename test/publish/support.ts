// Publish test helpers: the real Door43 fixtures unpacked on the loopback git server's side, read back as files.

import { beforeAll } from "vitest";
import { env } from "cloudflare:workers";
import { admin, call, eventually, json, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";
import { b64, sh, unb64 } from "../git/support";
export { sh };

export const FIXTURES = [
  "en-ulb-v7",
  "en_ult-v24",
  "en-obs-rc-0.2",
  "en_tw",
  "en_ta",
  "bible-no-manifest",
  "unknown_resource",
] as const;
export type Fixture = (typeof FIXTURES)[number];

/** Unpacks a fixture (once per test run) into `fixtures/<name>` under the server root; returns its top folder there. */
export async function unpackFixture(name: Fixture): Promise<string> {
  const out = await sh(`set -e
d="fixtures/${name}"
if [ ! -e "$d/.done" ]; then
  rm -rf "$d"; mkdir -p "$d/x"
  f="${env.PUBLISH_FIXTURES}/${name}"
  if [ -e "$f.zip" ]; then unzip -q "$f.zip" -d "$d/x"; else tar xzf "$f.tar.gz" -C "$d/x"; fi
  touch "$d/.done"
fi
# A zip or tarball holds its tree in one top folder (or none).
n=$(ls -A "$d/x" | wc -l); top=$(ls -A "$d/x" | head -1)
if [ "$n" = 1 ] && [ -d "$d/x/$top" ]; then echo "$d/x/$top"; else echo "$d/x"; fi`);
  return out.stdout.trim();
}

/** Every file of a tree on the server (under `dir`) whose path matches `only`, path → bytes; `.git` left out. */
export async function readTree(dir: string, only: RegExp = /./): Promise<Map<string, Uint8Array>> {
  const script = `
const fs = require("fs"), path = require("path");
const only = new RegExp(process.argv[2]);
const out = {};
(function walk(d, rel) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    if (e.name === ".git") continue;
    const p = rel ? rel + "/" + e.name : e.name;
    if (e.isDirectory()) walk(path.join(d, e.name), p);
    else if (e.isFile() && only.test(p)) out[p] = fs.readFileSync(path.join(d, e.name)).toString("base64");
  }
})(process.argv[1], "");
process.stdout.write(JSON.stringify(out));`;
  const out = await sh(
    `node -e "$(printf '%s' '${b64(utf8(script))}' | base64 -d)" "${dir}" '${only.source.replace(/'/g, "")}'`,
  );
  const files = new Map<string, Uint8Array>();
  for (const [p, b] of Object.entries(JSON.parse(out.stdout) as Record<string, string>)) files.set(p, unb64(b));
  return files;
}

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : "");

/** The loopback git server's host, as the forge registered for these tests. */
export function gitHost(): string {
  return new URL(env.GIT_SERVER).host;
}

export interface ContentRepo {
  /** Under the server root, e.g. `o/name.git`. */
  path: string;
  url: string;
  name: string;
  commit: string;
}

/** A bare repo `o/<name>.git` whose one commit (on master) is the fixture's tree; `script` may change the tree first. */
export async function fixtureRepo(fixture: Fixture, name: string, script = ""): Promise<ContentRepo> {
  const dir = await unpackFixture(fixture);
  const path = `o/${name}.git`;
  const out = await sh(`root="$PWD"; w=$(mktemp -d); cp -a "${dir}/." "$w/"; cd "$w"; ${script}
git init -q -b master; git add -A; git commit -qm "import ${fixture}"
git init -q --bare "$root/${path}"; git push -q "$root/${path}" master; git rev-parse HEAD; cd /; rm -rf "$w"`);
  return { path, url: `${env.GIT_SERVER}/o/${name}`, name, commit: out.stdout.trim() };
}

/** A new commit on master of `repo`, made by `script` in a clone; returns its id. */
export async function commitTo(repo: ContentRepo, script: string, message = "change"): Promise<string> {
  const out = await sh(`root="$PWD"; w=$(mktemp -d); git clone -q "$root/${repo.path}" "$w"; cd "$w"; ${script}
git add -A; git commit -qm "${message}"; git push -q origin master; git rev-parse HEAD; cd /; rm -rf "$w"`);
  return out.stdout.trim();
}

/**
 * What a publish pipeline test file shares: the git server registered as a Gitea forge, repos registered with
 * `pipelines.publish`, pushes delivered through the real ingress, builds waited for through the API.
 */
export function publishFile() {
  let secret = "";
  beforeAll(async () => {
    secret = await registerForge(gitHost(), "gitea");
  });
  return {
    async register(repo: ContentRepo, publish: Record<string, unknown> = {}, url = repo.url): Promise<string> {
      const res = await json(admin("/api/repos", "POST", { url, pipelines: { publish } }));
      if (res.status !== 201) throw new Error(`registering ${url}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.repo.id;
    },
    /** A Gitea push of `after` to `ref`; the jobs it started or joined. */
    async push(
      repo: ContentRepo,
      after: string,
      opts: { ref?: string; before?: string; url?: string } = {},
    ): Promise<{ id: string; coalesced?: boolean }[]> {
      const url = opts.url ?? repo.url;
      const body = {
        ref: opts.ref ?? "refs/heads/master",
        before: opts.before ?? "0".repeat(40),
        after,
        commits: [],
        repository: {
          html_url: url,
          clone_url: `${url}.git`,
          full_name: `o/${repo.name}`,
          name: repo.name,
          owner: { login: "o" },
        },
      };
      const res = await json(deliver({ forge: "gitea", event: "push", secret, body: JSON.stringify(body) }));
      if (res.status !== 202) throw new Error(`push: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.jobs ?? [];
    },
  };
}

/** Waits for a build to settle; its API view. */
export async function settled(id: string, timeoutMs = 300_000): Promise<Answer> {
  return eventually(
    async () => {
      const res = await json(call(`/api/publish/builds/${id}`));
      return res.status === 200 && ["success", "warnings", "failed"].includes(res.body.build.status)
        ? res.body
        : undefined;
    },
    timeoutMs,
    `build ${id} settled`,
  );
}
