// Tag builds end to end on the real system: `wrangler dev`, the loopback git server, and the reference
// builder process (`npx forgeline-builder`) running a real command per job. Runs in Node
// (vitest.e2e.config.ts), after the workerd suite.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DISTRO,
  SECRET,
  api,
  jobStatus,
  killBuilder,
  makeTagRepo,
  pushTag,
  startBuilder,
  startSystem,
  until,
} from "../support/tagbuild-dev.mjs";

let sys;
let out;
const builders = [];

// The build command: copies what it was given, publishes a message, fails or hangs on request.
const EXEC = `case "$FORGELINE_SOURCE" in
  failing) echo "forgeline-message failing on purpose"; exit 3;;
  slow) echo $$ > "$OUT/$FORGELINE_JOB_ID.pid"; sleep 120;;
  held) echo $$ > "$OUT/$FORGELINE_JOB_ID.pid"; sleep 120; echo done > "$OUT/$FORGELINE_JOB_ID.finished";;
  *) cp "$FORGELINE_TAG_FILE" "$OUT/$FORGELINE_JOB_ID.tag"; echo "$FORGELINE_TAG_OBJECT_ID $FORGELINE_TAG_NAME $FORGELINE_REPO_URL" > "$OUT/$FORGELINE_JOB_ID.env"; echo "forgeline-message built $FORGELINE_SOURCE";;
esac`;

beforeAll(async () => {
  sys = await startSystem({
    port: Number(process.env.E2E_PORT ?? 8797),
    vars: { BUILDER_AYT_SECONDS: "2", BUILDER_ACK_SECONDS: "5" },
  });
  out = mkdtempSync(join(tmpdir(), "forgeline-e2e-out-"));
  const host = new URL(sys.git).host;
  await api(sys.base, "POST", "/api/forges", { host, kind: "gitea", webhookSecret: SECRET, baseUrl: sys.git });
});

afterAll(async () => {
  for (const b of builders) killBuilder(b);
  await sys?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

async function repoWithTag(name, opts) {
  const repo = makeTagRepo(sys.gitRoot, name, opts);
  const url = `${sys.git}/o/${name}`;
  await api(sys.base, "POST", "/api/repos", { url, pipelines: { tagbuild: { distro: DISTRO } } });
  return { ...repo, url };
}

const settled = (base, id, states) =>
  until(
    async () => {
      const j = await jobStatus(base, id);
      return j && states.includes(j.status) ? j : undefined;
    },
    90_000,
    `job ${id} in ${states.join("|")}`,
  );

describe("tag builds on wrangler dev with the reference builder", () => {
  it("builds a pushed tag with the builder's command and records uploaded", async () => {
    builders.push(startBuilder(sys.base, { id: "ref-1", exec: EXEC, env: { OUT: out }, viaNpx: true }));
    await until(
      async () => (await api(sys.base, "GET", "/api/builders")).builders.find((b) => b.id === "ref-1" && b.connected),
      60_000,
      "builder connected",
    );
    const repo = await repoWithTag("hello", { source: "hello", version: "2.10-3" });
    const [id] = await pushTag(sys.base, repo.url, repo.tagName, repo.tagId);
    const job = await settled(sys.base, id, ["uploaded", "irrecoverable", "failed"]);
    expect(job.status).toBe("uploaded");
    expect(job.builder).toBe("ref-1");
    expect(job.messages.map((m) => m.text)).toEqual(["built hello"]);
    // The command got the exact tag object and its id (as git computes it), name and repo.
    const catFile = execFileSync("git", ["cat-file", "tag", repo.tagId], { cwd: repo.path });
    expect(readFileSync(join(out, `${id}.tag`)).equals(catFile)).toBe(true);
    expect(readFileSync(join(out, `${id}.env`), "utf8").trim()).toBe(`${repo.tagId} ${repo.tagName} ${repo.url}`);
  });

  it("reports a failing command as irrecoverable with its exit status", async () => {
    const repo = await repoWithTag("broken", { source: "failing", version: "1.0-1" });
    const [id] = await pushTag(sys.base, repo.url, repo.tagName, repo.tagId);
    const job = await settled(sys.base, id, ["uploaded", "irrecoverable"]);
    expect(job.status).toBe("irrecoverable");
    expect(job.messages.map((m) => m.text)).toEqual(["failing on purpose", "build command exited with status 3"]);
  });

  it("makes the job irrecoverable when the builder process dies mid-job; another builder carries on", async () => {
    const repo = await repoWithTag("sleepy", { source: "slow", version: "1.0-1" });
    const [id] = await pushTag(sys.base, repo.url, repo.tagName, repo.tagId);
    await settled(sys.base, id, ["building"]);
    await until(async () => existsSync(join(out, `${id}.pid`)), 30_000, "command started");
    killBuilder(builders[0]);
    const job = await settled(sys.base, id, ["irrecoverable"]);
    expect(job.reason).toMatch(/connection to builder ref-1 lost/);
    // A builder killed outright cannot stop its command (its own process group): this test does.
    killBuilder({ pid: Number(readFileSync(join(out, `${id}.pid`), "utf8")) }, "SIGTERM");

    builders.push(startBuilder(sys.base, { id: "ref-2", exec: EXEC, env: { OUT: out } }));
    const next = await repoWithTag("after", { source: "after", version: "1.0-1" });
    const [nextId] = await pushTag(sys.base, next.url, next.tagName, next.tagId);
    expect((await settled(sys.base, nextId, ["uploaded", "irrecoverable"])).status).toBe("uploaded");
  });

  it("stops the build command when its job is cancelled; the builder comes back and builds the next", async () => {
    const repo = await repoWithTag("cancelled", { source: "held", version: "1.0-1" });
    const [id] = await pushTag(sys.base, repo.url, repo.tagName, repo.tagId);
    await settled(sys.base, id, ["building"]);
    const pid = Number(
      await until(
        async () => existsSync(join(out, `${id}.pid`)) && readFileSync(join(out, `${id}.pid`), "utf8").trim(),
        30_000,
        "command started",
      ),
    );
    const cancelled = await api(sys.base, "POST", `/api/jobs/${id}/cancel`, { reason: "withdrawn by the uploader" });
    expect([cancelled.job.status, cancelled.job.error]).toEqual(["failed", "cancelled: withdrawn by the uploader"]);
    // The hub told the builder (restart-builder); it stopped the command's whole process group.
    await until(
      async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      30_000,
      "the build command stopped",
    );
    expect(existsSync(join(out, `${id}.finished`))).toBe(false);
    expect((await api(sys.base, "GET", "/api/builders")).queued).toBe(0);
    const next = await repoWithTag("after-cancel", { source: "after-cancel", version: "1.0-1" });
    const [nextId] = await pushTag(sys.base, next.url, next.tagName, next.tagId);
    expect((await settled(sys.base, nextId, ["uploaded", "irrecoverable"])).status).toBe("uploaded");
  });
});
