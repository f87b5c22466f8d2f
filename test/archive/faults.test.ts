// Bad input and faults, each against the loopback git server with repos built by the real git CLI: every one
// ends in a defined visit status with a clear error, and no snapshot ever points to objects not stored.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { getSnapshot, getVisit, latestVisit } from "../../workers/archive/lookup";
import { parseDirectory } from "../../workers/archive/manifest";
import { getDirectoryRaw, getRelease, getRevision } from "../../workers/archive/lookup";
import {
  expectAllArchived,
  expectedBranches,
  gitObjects,
  gitRefs,
  jobView,
  makeRepo,
  repoName,
  saveNow,
  settled,
  sh,
  visit,
} from "./visit-support";
import type { Answer } from "../support/http";

async function setSwitch(name: string, status: number | string | null) {
  const res = await fetch(`${env.GIT_SERVER}/_control/switch`, {
    method: "POST",
    body: JSON.stringify({ name, status }),
  });
  expect(res.status).toBe(200);
}

/** Runs the job's alarm as if its retry were due now (tests do not wait out real backoffs). */
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

/** Waits until the job is waiting for a retry (a weak error) or settled. */
async function waitingOrSettled(id: string): Promise<Answer> {
  for (let i = 0; i < 600; i++) {
    const j = await jobView(id);
    if (j?.phase === "waiting" || j?.phase === "settled") return j;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} neither waits nor settles`);
}

async function noSnapshot(origin: string) {
  expect(await latestVisit(env, origin, { requireSnapshot: true })).toBeNull();
}

const BIG_REPO = `
for i in $(seq 1 40); do head -c 4000 /dev/urandom | base64 > "f$i.txt"; done
git add -A && git commit -qm one
for i in $(seq 1 40); do head -c 2000 /dev/urandom | base64 >> "f$i.txt"; done
git commit -qam two`;

describe("a repo that is not there", () => {
  for (const [what, path] of [
    ["404: no such repo", (name: string) => `/acme/${name}-missing.git`],
    ["401: needs credentials", (name: string) => `/_auth/u:p/acme/${name}.git`],
    ["403", (name: string) => `/_fault/status/403/acme/${name}.git`],
    ["410", (name: string) => `/_fault/status/410/acme/${name}.git`],
    ["not a git repo (dumb HTTP)", (name: string) => `/_fault/dumb/acme/${name}.git`],
  ] as const) {
    it(`${what}: visit not_found, job uneventful, error kept, no snapshot`, async () => {
      const name = repoName("gone");
      await makeRepo(name, `echo x > x && git add x && git commit -qm x`);
      const url = `${env.GIT_SERVER}${path(name)}`;
      const job = await visit(url);
      expect(job.status, JSON.stringify(job.log)).toBe("not_found");
      expect(job.result).toMatchObject({ result: "uneventful", status: "not_found", snapshot: null });
      const v = await getVisit(env, job.result.origin, job.result.visit);
      expect(v!.status).toBe("not_found");
      expect(v!.error).toBeTruthy();
      await noSnapshot(job.result.origin);
    });
  }
});

describe("a forge that fails", () => {
  it("a server error is retried; when the retries run out the visit is failed with its error", async () => {
    const name = repoName("down");
    await makeRepo(name, `echo x > x && git add x && git commit -qm x`);
    const sw = repoName("sw");
    await setSwitch(sw, 503);
    const id = await saveNow(`${env.GIT_SERVER}/_fault/switch/${sw}/acme/${name}.git`);
    let j = await waitingOrSettled(id);
    for (let retry = 1; retry <= 3; retry++) {
      expect(j.phase).toBe("waiting");
      const v = await latestVisit(env, j.input.origin);
      expect(v).toMatchObject({ visit: 1, status: "ongoing" });
      await fireRetry(id);
      j = await waitingOrSettled(id);
    }
    expect(j.status).toBe("failed");
    expect(j.error).toMatch(/503/);
    const v = await latestVisit(env, j.input.origin);
    expect(v).toMatchObject({ visit: 1, status: "failed" });
    expect(v!.error).toMatch(/503/);
    await noSnapshot(j.input.origin);
    await setSwitch(sw, null);
  });

  it("a server dying mid-pack leaves no snapshot; the retry finishes the work in the same visit", async () => {
    const name = repoName("cut");
    const repo = await makeRepo(name, BIG_REPO);
    const sw = repoName("sw");
    await setSwitch(sw, "cut:60000");
    const id = await saveNow(`${env.GIT_SERVER}/_fault/switch/${sw}/acme/${name}.git`);
    const j = await waitingOrSettled(id);
    expect(j.phase, JSON.stringify(j.log)).toBe("waiting");
    expect(j.error).toBeTruthy();
    await noSnapshot(j.input.origin);
    expect(await latestVisit(env, j.input.origin)).toMatchObject({ visit: 1, status: "ongoing" });
    await setSwitch(sw, null);
    await fireRetry(id);
    const done = await settled(id);
    expect(done.status, JSON.stringify(done.log)).toBe("full");
    expect(done.result).toMatchObject({ visit: 1, result: "eventful" });
    await expectAllArchived(await gitObjects(repo.bare));
    const snapshot = await getSnapshot(env, done.result.snapshot);
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
  });

  it("a corrupted pack fails the visit at once with the reason, and stores no snapshot", async () => {
    const name = repoName("corrupt");
    await makeRepo(name, BIG_REPO);
    const job = await visit(`${env.GIT_SERVER}/_fault/corrupt/50000/acme/${name}.git`);
    expect(job.status, JSON.stringify(job.log)).toBe("failed");
    expect(job.error).toMatch(/corrupt|checksum|inflate|zlib|invalid|mismatch/i);
    const v = await latestVisit(env, job.input.origin);
    expect(v).toMatchObject({ status: "failed" });
    expect(v!.error).toBeTruthy();
    await noSnapshot(job.input.origin);
  });
});

describe("a broken repository on the server", () => {
  it("an object stored under a wrong id (recomputed id differs) fails the visit, naming what is missing", async () => {
    const name = repoName("badid");
    const repo = await makeRepo(name, `printf 'good\\n' > a.txt && git add a.txt && git commit -qm one`);
    // Replace the loose blob with another object's bytes: git serves them, under a different id.
    const blob = (
      await sh(
        `git -c core.bigFileThreshold=1g unpack-objects -q < $(ls objects/pack/*.pack) 2>/dev/null || true
rm -f objects/pack/*
b=$(git rev-parse main:a.txt)
o=$(printf 'evil\\n' | git hash-object -w --stdin)
chmod u+w objects/\${b:0:2}/\${b:2}
cp objects/\${o:0:2}/\${o:2} objects/\${b:0:2}/\${b:2}
rm objects/\${o:0:2}/\${o:2}
echo $b`,
        { cwd: repo.bare },
      )
    ).stdout.trim();
    const job = await visit(repo.url);
    expect(job.status, JSON.stringify(job.log)).toBe("failed");
    expect(job.error).toContain(blob);
    await noSnapshot(repo.origin);
  });

  it("a ref pointing to a missing object: the other refs are archived, the visit is partial and names the ref", async () => {
    const name = repoName("dangling");
    const repo = await makeRepo(name, `echo x > x && git add x && git commit -qm x && git branch other`);
    await sh(`echo 1234567890123456789012345678901234567890 > refs/heads/broken`, { cwd: repo.bare });
    // git itself advertises the broken ref, and cannot fetch it.
    expect((await sh(`git ls-remote ${repo.url}`)).stdout).toContain(
      "1234567890123456789012345678901234567890\trefs/heads/broken",
    );
    expect((await sh(`git clone -q --mirror ${repo.url} clone-${name}`, { allowFail: true })).code).not.toBe(0);
    const job = await visit(repo.url);
    expect(job.status, JSON.stringify(job.log)).toBe("partial");
    expect(job.result).toMatchObject({ result: "eventful", unservableRefs: ["refs/heads/broken"] });
    const v = await getVisit(env, repo.origin, job.result.visit);
    expect(v).toMatchObject({ status: "partial", snapshot: job.result.snapshot });
    expect(v!.error).toContain("refs/heads/broken");
    const snapshot = await getSnapshot(env, job.result.snapshot);
    await sh(`rm refs/heads/broken`, { cwd: repo.bare }); // git's own ref listing dies on it
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
    await expectAllArchived(await gitObjects(repo.bare));
  });
});

describe("odd but valid repositories", () => {
  it("an empty repo: full, with an empty snapshot; a re-visit is uneventful", async () => {
    const name = repoName("empty");
    await sh(`mkdir -p acme && git init -q --bare acme/${name}.git`);
    const url = `${env.GIT_SERVER}/acme/${name}.git`;
    const job = await visit(url);
    expect(job.status, JSON.stringify(job.log)).toBe("full");
    expect(job.result).toMatchObject({ result: "eventful", packFetched: false });
    expect((await getSnapshot(env, job.result.snapshot))!.branches).toEqual({});
    const again = await visit(url);
    expect(again.result).toMatchObject({ result: "uneventful", snapshot: job.result.snapshot });
  });

  it("gitlinks, symlinks, executables, non-UTF-8 names and messages, tags to blobs and trees, odd headers", async () => {
    const name = repoName("odd");
    const repo = await makeRepo(
      name,
      `printf 'plain\\n' > a.txt
printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod +x run.sh
ln -s a.txt link
printf 'latin-1 name' > "$(printf 'caf\\351.txt')"
git add -A
git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,vendor/lib
printf 'message \\377\\376 not utf-8\\n' > ../msg-${name}
git commit -q -F ../msg-${name}
git tag -a treetag -m "a tree" HEAD^{tree}
git tag blobtag HEAD:a.txt
git tag -a blobtag2 -m "a blob" HEAD:a.txt
# A commit with an extra header and an odd timezone, written by hand.
tree=$(git rev-parse HEAD^{tree}); parent=$(git rev-parse HEAD)
odd=$(printf 'tree %s\\nparent %s\\nauthor A U Thor <a@example.org> 1500000000 +051\\ncommitter C <c@example.org> 1500000000 +0000\\nx-custom-header some value\\n\\nodd\\n' $tree $parent | git hash-object -t commit -w --stdin --literally)
git update-ref refs/heads/odd $odd`,
    );
    const job = await visit(repo.url);
    expect(job.status, JSON.stringify(job.log)).toBe("full");
    const objects = await gitObjects(repo.bare);
    expect(job.result.objects).toBe(objects.size);
    await expectAllArchived(objects);
    const snapshot = await getSnapshot(env, job.result.snapshot);
    expect(snapshot!.branches).toEqual(expectedBranches(await gitRefs(repo.bare)));
    expect(snapshot!.branches["refs/tags/blobtag"]).toMatchObject({ targetType: "content" });

    const tree = (await sh(`git rev-parse main^{tree}`, { cwd: repo.bare })).stdout.trim();
    const entries = parseDirectory((await getDirectoryRaw(env, tree))!);
    const byName = new Map(entries.map((e) => [new TextDecoder("latin1").decode(e.name), e]));
    expect(byName.get("vendor")!.type).toBe("dir");
    expect(byName.get("run.sh")!.perms).toBe(0o100755);
    expect(byName.get("link")!.perms).toBe(0o120000);
    expect(byName.get("caf\u00e9.txt")).toBeDefined(); // the raw byte 0xE9, not UTF-8
    const vendor = parseDirectory((await getDirectoryRaw(env, byName.get("vendor")!.target))!);
    expect(vendor[0]).toMatchObject({
      type: "rev",
      perms: 0o160000,
      target: "1111111111111111111111111111111111111111",
    });

    const oddId = (await sh(`git rev-parse refs/heads/odd`, { cwd: repo.bare })).stdout.trim();
    const odd = await getRevision(env, oddId);
    expect(odd).toMatchObject({ id: oddId, extraHeaders: [["x-custom-header", "some value"]] });
    const treetag = (await sh(`git rev-parse refs/tags/treetag`, { cwd: repo.bare })).stdout.trim();
    expect(await getRelease(env, treetag)).toMatchObject({ targetType: "directory", target: tree });
  });

  it("thousands of refs: every one in the snapshot", async () => {
    const name = repoName("refs");
    const repo = await makeRepo(
      name,
      `for i in $(seq 1 30); do echo $i > f; git add f; git commit -qm "c$i"; done
git rev-list main > ../revs-${name}
i=0; while read -r c; do for j in $(seq 1 100); do i=$((i+1)); echo "create refs/heads/b$i $c"; done; done < ../revs-${name} | git update-ref --stdin
for i in $(seq 1 500); do echo "create refs/tags/t$i $(sed -n "$(( (i % 30) + 1 ))p" ../revs-${name})"; done | git update-ref --stdin`,
    );
    const job = await visit(repo.url);
    expect(job.status, JSON.stringify(job.log)).toBe("full");
    const snapshot = await getSnapshot(env, job.result.snapshot);
    const expected = expectedBranches(await gitRefs(repo.bare));
    expect(Object.keys(expected).length).toBeGreaterThan(3500);
    expect(snapshot!.branches).toEqual(expected);
    // One new commit on one of them: a small incremental fetch with thousands of haves on offer.
    await sh(
      `cd work-${name} && echo more > g && git add g && git commit -qm more && git push -q ../acme/${name}.git main`,
    );
    const again = await visit(repo.url);
    expect(again.result).toMatchObject({ result: "eventful", packFetched: true, objects: 3 });
  });
});
