// Tag-build test helpers: repos with signed-style tags built by the real git CLI on the loopback server,
// tag-push webhooks as Gitea sends them, and a scripted builder speaking the protocol over a real WebSocket.

import { afterEach, beforeAll, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject, SELF } from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { deliver, registerForge } from "../support/webhooks";

export const BUILDER_TOKEN = "test-builder-token";
export const FORGE_TOKEN = "forge-token-1";
export const DISTRO = "test-dummy";

export function gitHost(): string {
  return new URL(env.GIT_SERVER).host;
}

export async function sh(script: string, extraEnv: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${env.GIT_SERVER}/_control/sh`, {
    method: "POST",
    body: JSON.stringify({ script, env: extraEnv }),
  });
  const out = (await res.json()) as { code: number; stdout: string; stderr: string };
  if (out.code !== 0) throw new Error(`git server script failed (${out.code}): ${out.stderr}\n${script}`);
  return out.stdout;
}

export function tagMessage(source: string, version: string, extra = ""): string {
  return `${source} release ${version} for unstable\n\n[dgit distro=${DISTRO} split --quilt=gbp]\n[dgit please-upload source=${source} version=${version}]\n${extra}`;
}

export interface TagRepo {
  /** Path under the server root, e.g. `o/name.git`. */
  path: string;
  /** The repo's web URL as registered (may go through a fault or auth prefix). */
  url: string;
  tagName: string;
  tagId: string;
  commitId: string;
}

/**
 * A bare repo with one commit and an annotated tag `tagName` with `message`, tagged at `taggedAt` (ms).
 * `prefix` puts the repo's URL behind a server fault or auth path (`_fault/switch/x`, `_auth/u:p`).
 */
export async function tagRepo(
  name: string,
  opts: { tagName?: string; message?: string; taggedAt?: number; prefix?: string; version?: string } = {},
): Promise<TagRepo> {
  const version = opts.version ?? "1.0-1";
  const tagName = opts.tagName ?? `${DISTRO}/${version}`;
  const message = opts.message ?? tagMessage("example", version);
  const date = `${Math.floor((opts.taggedAt ?? Date.now()) / 1000)} +0000`;
  const path = `o/${name}.git`;
  const out = await sh(
    `git init -q --bare ${path}
     w=$(mktemp -d); git init -q "$w"; cd "$w"
     echo "hello ${name}" > README; git add README; git commit -qm "first of ${name}"
     printf '%s' "$TAG_MESSAGE" > ../msg-${name}; git tag -a -F ../msg-${name} "$TAG_NAME"; rm ../msg-${name}
     git push -q "$GIT_SERVER_ROOT/${path}" HEAD:refs/heads/main "refs/tags/$TAG_NAME"
     echo "$(git rev-parse "refs/tags/$TAG_NAME") $(git rev-parse HEAD)"
     cd /; rm -rf "$w"`,
    { TAG_MESSAGE: message, TAG_NAME: tagName, GIT_COMMITTER_DATE: date },
  );
  const [tagId, commitId] = out.trim().split(" ") as [string, string];
  const prefix = opts.prefix ? `/${opts.prefix}` : "";
  return { path, url: `${env.GIT_SERVER}${prefix}/o/${name}`, tagName, tagId, commitId };
}

export async function registerTagRepo(
  url: string,
  pipeline: Record<string, unknown> = { distro: DISTRO },
): Promise<string> {
  const res = await json(admin("/api/repos", "POST", { url, pipelines: { tagbuild: pipeline } }));
  if (res.status !== 201) throw new Error(`registering ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.repo.id;
}

/** A tag push as Gitea delivers it (`push` with `refs/tags/…`); returns the job ids it started. */
export async function pushTag(
  secret: string,
  repo: { url: string; tagName: string },
  after: string | null,
  opts: { event?: "push" | "create" | "delete"; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Answer; jobs: string[] }> {
  const event = opts.event ?? "push";
  const repository = {
    html_url: repo.url,
    clone_url: `${repo.url}.git`,
    full_name: "o/x",
    name: "x",
    owner: { login: "o" },
  };
  const body =
    event === "push"
      ? {
          ref: `refs/tags/${repo.tagName}`,
          before: "0".repeat(40),
          after: after ?? "0".repeat(40),
          commits: [],
          repository,
        }
      : { ref: repo.tagName, ref_type: "tag", ...(after ? { sha: after } : {}), repository };
  const res = await json(deliver({ forge: "gitea", event, secret, body: JSON.stringify(body), headers: opts.headers }));
  return { ...res, jobs: (res.body.jobs ?? []).map((j: { id: string }) => j.id) };
}

export async function tagJob(id: string): Promise<Answer> {
  const res = await json(call(`/api/tagbuild/jobs/${id}`, { headers: { Accept: "application/json" } }));
  return res.status === 200 ? res.body.job : null;
}

/** Waits until the job's status (as its JobObject says) is one of `states`. */
export async function jobIn(id: string, states: string[], timeoutMs = 30_000): Promise<Answer> {
  return eventually(
    async () => {
      const j = await tagJob(id);
      return j && states.includes(j.status) ? j : undefined;
    },
    timeoutMs,
    `job ${id} in ${states.join("|")}`,
  );
}

/** A builder over a real WebSocket into the Worker: its inbox, and lines to send. */
export class TestBuilder {
  readonly inbox: (string | Uint8Array)[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    // Messages are read in order even when a binary one arrives as a Blob that takes a moment to read.
    let order = Promise.resolve();
    ws.addEventListener("message", (e) => {
      const data = e.data as string | ArrayBuffer | ArrayBufferView | Blob;
      order = order.then(async () => {
        if (typeof data === "string") this.inbox.push(data);
        else if (data instanceof Blob) this.inbox.push(new Uint8Array(await data.arrayBuffer()));
        else if (ArrayBuffer.isView(data))
          this.inbox.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        else this.inbox.push(new Uint8Array(data));
        this.poke();
      });
    });
    ws.addEventListener("close", (e) => {
      order = order.then(() => {
        this.closed = { code: e.code, reason: e.reason };
        this.poke();
      });
    });
  }

  static async connect(token = BUILDER_TOKEN): Promise<TestBuilder> {
    const res = await SELF.fetch("https://forgeline.test/api/builders/connect", {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${token}` },
    });
    if (res.status !== 101 || !res.webSocket) throw new Error(`connect: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    return new TestBuilder(res.webSocket);
  }

  /** Connects and introduces itself; returns once greeted. */
  static async ready(id: string, mode: "testing" | "production" = "production"): Promise<TestBuilder> {
    const b = await TestBuilder.connect();
    expect(await b.next()).toBe("forgeline-ready");
    b.send("builder-version 1");
    b.send(`builder-id ${id} ${mode}`);
    return b;
  }

  send(line: string | Uint8Array): void {
    this.ws.send(line);
  }

  /** The next message, waiting for it. */
  async next(timeoutMs = 20_000): Promise<string | Uint8Array> {
    const start = Date.now();
    while (!this.inbox.length) {
      if (this.closed)
        throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}) while waiting for a message`);
      if (Date.now() - start > timeoutMs) throw new Error("timed out waiting for a message from the server");
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.inbox.shift()!;
  }

  /** Waits for `ayt`, answers `ack`, and reads the job that follows: its id, fields and tag bytes. */
  async takeJob(): Promise<{ jobId: string; source: string; repoUrl: string; tag: Uint8Array }> {
    expect(await this.next()).toBe("ayt");
    this.send("ack");
    const job = String(await this.next());
    const m = /^job (\S+) (\S+) (\S+)$/.exec(job);
    if (!m) throw new Error(`expected a job line, got ${job}`);
    const block = String(await this.next());
    const n = Number(/^data-block (\d+)$/.exec(block)?.[1]);
    const tag = await this.next();
    if (!(tag instanceof Uint8Array) || tag.byteLength !== n)
      throw new Error(
        `expected ${n} bytes of tag object, got ${typeof tag} ${Object.prototype.toString.call(tag)} ${String(tag).slice(0, 50)}`,
      );
    expect(await this.next()).toBe("data-end");
    return { jobId: m[1]!, source: m[2]!, repoUrl: m[3]!, tag };
  }

  async waitClosed(timeoutMs = 20_000): Promise<{ code: number; reason: string }> {
    await eventually(async () => this.closed !== null, timeoutMs, "connection closed");
    return this.closed!;
  }

  close(): void {
    try {
      this.ws.close(1000, "test done");
    } catch {
      // already closed
    }
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((r) => r());
  }
}

/**
 * The setup a pipeline test file shares: the git server's host registered as a Gitea forge (with a token),
 * and after each test its builders closed and the hub's builds cleared, so none reaches the next test.
 */
export function tagbuildFile() {
  let secret = "";
  const open: TestBuilder[] = [];
  beforeAll(async () => {
    secret = await registerForge(gitHost(), "gitea", { token: FORGE_TOKEN });
  });
  afterEach(async () => {
    for (const b of open.splice(0)) b.close();
    const hub = env.BUILDERS.get(env.BUILDERS.idFromName("builders"));
    await runInDurableObject(hub, async (_i, state) => void state.storage.sql.exec(`DELETE FROM builds`));
  });
  return {
    secret: () => secret,
    async builder(): Promise<TestBuilder> {
      const b = await TestBuilder.ready(unique("builder"));
      open.push(b);
      return b;
    },
  };
}
