// The publish pipeline's bad inputs and faults end to end: each ends with a clear error in the build log and
// nothing half-published; the forge down is retried; a failed build never replaces a ref's good site.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { admin, call, json, unique, type Answer } from "../support/http";
import { hmacSha256Hex } from "../../workers/core/digest";
import { commitTo, fixtureRepo, publishFile, settled, sh, type ContentRepo } from "./support";

const file = publishFile();

async function setSwitch(name: string, status: number | null) {
  expect(
    (await fetch(`${env.GIT_SERVER}/_control/switch`, { method: "POST", body: JSON.stringify({ name, status }) }))
      .status,
  ).toBe(200);
}

/** Runs the job's retry now instead of after its backoff. */
async function fireRetry(id: string) {
  const stub = env.JOB.get(env.JOB.idFromName(id));
  await runInDurableObject(stub, async (_instance, state) => {
    const doc = JSON.parse(state.storage.sql.exec<{ doc: string }>("SELECT doc FROM job").one().doc);
    doc.nextAttemptAt = Date.now() - 1;
    state.storage.sql.exec("UPDATE job SET doc = ?", JSON.stringify(doc));
  });
  await evictDurableObject(stub);
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

async function jobPhase(id: string, phases: string[]): Promise<Answer> {
  for (let i = 0; i < 1200; i++) {
    const res = await json(call(`/api/jobs/${id}`));
    if (res.status === 200 && phases.includes(res.body.job.phase)) return res.body.job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} never reached ${phases.join("|")}`);
}

/** A small Markdown repo made by `script`. */
async function markdownRepo(script: string): Promise<ContentRepo> {
  const name = unique("md");
  const path = `o/${name}.git`;
  const out = await sh(`root="$PWD"; w=$(mktemp -d); cd "$w"; ${script}
git init -q -b master; git add -A; git commit -qm first; git init -q --bare "$root/${path}"; git push -q "$root/${path}" master; git rev-parse HEAD; cd /; rm -rf "$w"`);
  return { path, url: `${env.GIT_SERVER}/o/${name}`, name, commit: out.stdout.trim() };
}

async function failedWith(repo: ContentRepo, pattern: RegExp, commit = repo.commit) {
  await file.register(repo);
  const [job] = await file.push(repo, commit);
  const done = await settled(job!.id);
  expect(done.build.status).toBe("failed");
  expect(done.errors.join("\n")).toMatch(pattern);
  expect(done.job.log.filter((l: Answer) => /retry/i.test(l.line))).toEqual([]);
  expect((await call(`/u/o/${repo.name}/master/index.html`)).status).toBe(404);
  expect((await call(`/u/o/${repo.name}/${commit.slice(0, 10)}/index.html`)).status).toBe(404);
  return done;
}

describe("publish: bad input", () => {
  it("a commit that does not exist ends failed, not retried", async () => {
    const repo = await markdownRepo(`echo "# A" > a.md`);
    await file.register(repo);
    const ghost = "1234567890abcdef1234567890abcdef12345678";
    const [job] = await file.push(repo, ghost, { ref: "refs/heads/ghost" });
    const done = await settled(job!.id);
    expect(done.build.status).toBe("failed");
    expect(done.errors[0]).toMatch(/not our ref|1234567890abcdef|upload-pack/i);
    const view = await json(call(`/api/jobs/${job!.id}`));
    expect(view.body.job.attempts).toBe(1);
    const log = await (await call(`/u/o/${repo.name}/1234567890/build_log.json`)).json<Answer>();
    expect(log).toMatchObject({ status: "failed", success: false, commit_id: ghost });
  });

  it("a tree over PUBLISH_MAX_FILES, and over PUBLISH_MAX_BYTES", async () => {
    await failedWith(
      await markdownRepo(`echo "# A" > a.md; mkdir d; for i in $(seq 1 3001); do echo $i > d/$i.txt; done`),
      /over PUBLISH_MAX_FILES \(3000\)/,
    );
    await failedWith(
      await markdownRepo(`echo "# A" > a.md; head -c 70000000 /dev/zero > big.bin`),
      /over PUBLISH_MAX_BYTES \(67108864 bytes unpacked\)/,
    );
  });

  it("symlinks leaving the tree, or absolute, are refused; one inside it is left out with a warning", async () => {
    await failedWith(
      await markdownRepo(`echo "# A" > a.md; ln -s ../../../etc/passwd b.md`),
      /symlink b\.md points out of the tree \(\.\.\/\.\.\/\.\.\/etc\/passwd\)/,
    );
    await failedWith(
      await markdownRepo(`echo "# A" > a.md; ln -s /etc/passwd b.md`),
      /symlink b\.md points to an absolute path/,
    );
    const inside = await markdownRepo(`echo "# A" > a.md; ln -s a.md b.md`);
    await file.register(inside);
    const [job] = await file.push(inside, inside.commit);
    const done = await settled(job!.id);
    expect(done.build.status).toBe("warnings");
    expect(done.warnings).toContain("b.md: a symlink; not followed");
  });

  it("a path component named .. in a crafted tree is refused", async () => {
    const repo = await markdownRepo(`echo "# A" > a.md`);
    // git itself will not make such a tree; write one by hand and point master at it.
    const commit = (
      await sh(`cd ${repo.path}
blob=$(echo "# evil" | git hash-object -w --stdin)
inner=$(printf '100644 blob %s\\tx.md\\n' "$blob" | git mktree)
tree=$(printf '100644 blob %s\\ta.md\\n' "$blob" | git mktree)
raw=$( (git cat-file tree $tree; printf '40000 ..\\0'; echo -n $inner | xxd -r -p) | git hash-object -t tree -w --stdin --literally)
c=$(git commit-tree $raw -m crafted); git update-ref refs/heads/master $c; echo $c`)
    ).stdout.trim();
    await failedWith(repo, /unsafe path in the tree: a path component named "\.\."/, commit);
  });

  it("conflict markers in a source fail the build; the ref keeps its last good site", async () => {
    const repo = await fixtureRepo("en-obs-rc-0.2", unique("obsfail"));
    await file.register(repo);
    const good = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(good.build.status).toBe("success");
    const bad = await commitTo(
      repo,
      `printf '<<<<<<< HEAD\\nx\\n=======\\ny\\n>>>>>>> b\\n' >> content/07/01.md`,
      "conflict",
    );
    const failed = await settled((await file.push(repo, bad, { before: repo.commit }))[0]!.id);
    expect(failed.build.status).toBe("failed");
    expect(failed.errors).toEqual([
      expect.stringMatching(/^content\/07\/01\.md line \d+: merge-conflict marker "<<<<<<<"/),
    ]);
    expect((await call(`/u/o/${repo.name}/${bad.slice(0, 10)}/01.html`)).status).toBe(404);
    const log = await (await call(`/u/o/${repo.name}/${bad.slice(0, 10)}/build_log.json`)).json<Answer>();
    expect(log.status).toBe("failed");
    // The branch and the front page still show the good build.
    expect(await (await call(`/u/o/${repo.name}/master/build_log.json`)).json<Answer>()).toMatchObject({
      commit_id: repo.commit,
      status: "success",
    });
    const front = await call(`/u/o/${repo.name}/`, { redirect: "manual" });
    expect(front.headers.get("Location")).toBe(`/u/o/${repo.name}/${repo.commit.slice(0, 10)}/`);
    const project = await (await call(`/u/o/${repo.name}/project.json`)).json<Answer>();
    expect(project.builds.map((b: Answer) => [b.status, b.success])).toEqual([
      ["success", true],
      ["failed", false],
    ]);
  });
});

describe("publish: the forge, callbacks, coalescing, rebuilds", () => {
  it("the forge down is a weak error, retried; pushes meanwhile join one waiting build of the ref's newest commit", async () => {
    const sw = unique("sw");
    const repo = await markdownRepo(`echo "# One" > a.md`);
    const url = `${env.GIT_SERVER}/_fault/switch/${sw}/o/${repo.name}`;
    await file.register(repo, {}, url);
    await setSwitch(sw, 503);
    const [first] = await file.push(repo, repo.commit, { url });
    const waiting = await jobPhase(first!.id, ["waiting"]);
    expect(waiting.retries).toBe(1);
    expect(waiting.status).toBe("started");
    const c2 = await commitTo(repo, `echo "# Two" > a.md`);
    const c3 = await commitTo(repo, `echo "# Three" > a.md`);
    const [second] = await file.push(repo, c2, { url, before: repo.commit });
    const [third] = await file.push(repo, c3, { url, before: c2 });
    expect(third).toMatchObject({ id: second!.id, coalesced: true });
    await setSwitch(sw, null);
    await fireRetry(first!.id);
    // Generic Markdown without a manifest: built, with the guess as a warning.
    expect((await settled(first!.id)).build.status).toBe("warnings");
    const joined = await settled(second!.id);
    expect(joined.build).toMatchObject({ status: "warnings", commit: c3 });
    // The repo's registered URL has the fault prefix in its path, so its owner does too, as one segment.
    expect(joined.build.repo).toBe(`_fault+switch+${sw}+o/${repo.name}`);
    expect(await (await call(`/u/${joined.build.repo}/master/a.html`)).text()).toContain("<h1>Three</h1>");
  });

  it("POSTs the final build log to the callback, signed with the repo's secret; an admin rebuild reuses every page", async () => {
    const hook = unique("hook");
    const repo = await markdownRepo(`echo "# Hello" > a.md; echo "# World" > b.md`);
    const repoId = await file.register(repo, { callback: `${env.GIT_SERVER}/_hook/${hook}` });
    const done = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(done.build.status).toBe("warnings");
    const got = await (await fetch(`${env.GIT_SERVER}/_control/hook/${hook}`)).json<Answer[]>();
    expect(got).toHaveLength(1);
    const { secret } = (await json(admin(`/api/publish/repos/${repoId}/callback-secret`, "GET"))).body;
    const expected = await hmacSha256Hex(secret, new TextEncoder().encode(got[0].body));
    expect(got[0].headers["x-forgeline-signature"]).toBe(`sha256=${expected}`);
    expect(JSON.parse(got[0].body)).toMatchObject({
      job_id: done.build.id,
      status: "warnings",
      commit_id: repo.commit,
    });
    expect((await call(`/api/publish/repos/${repoId}/callback-secret`)).status).toBe(401);

    const rebuild = await json(admin("/api/publish/builds", "POST", { repo: repo.url, ref: "master" }));
    expect(rebuild.status).toBe(202);
    const again = await settled(rebuild.body.build.id);
    expect(again.build).toMatchObject({ status: "warnings", commit: repo.commit, filesConverted: 0, filesReused: 2 });
    expect((await json(admin("/api/publish/builds", "POST", { repo: repo.url, ref: "bad ref" }))).status).toBe(400);
    expect(
      (await json(admin("/api/publish/builds", "POST", { repo: `${env.GIT_SERVER}/o/nobody`, ref: "master" }))).status,
    ).toBe(404);
    expect((await call("/api/publish/builds", { method: "POST", body: "{}" })).status).toBe(401);
  });
});
