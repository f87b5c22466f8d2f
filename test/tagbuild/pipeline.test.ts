// Tag builds end to end inside workerd: a Gitea tag-push webhook → job noticed → the tag fetched from a real
// git server and confirmed → queued → a builder over a real WebSocket → building → uploaded; and every way
// a tag can be wrong, ending with a clear status and reason while other jobs carry on.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { call, eventually, json, unique, type Answer } from "../support/http";
import { registerForge } from "../support/webhooks";
import { DISTRO, FORGE_TOKEN, jobIn, pushTag, registerTagRepo, sh, tagMessage, tagRepo, tagbuildFile } from "./support";

const file = tagbuildFile();
const builder = file.builder;

/** A repo with a tag, registered, and its tag pushed: the job id. */
async function pushed(opts: Parameters<typeof tagRepo>[1] & { pushAs?: string | null } = {}) {
  const repo = await tagRepo(unique("r"), opts);
  await registerTagRepo(repo.url);
  const res = await pushTag(file.secret(), repo, opts.pushAs === undefined ? repo.tagId : opts.pushAs);
  expect(res.status).toBe(202);
  expect(res.jobs).toHaveLength(1);
  return { repo, id: res.jobs[0]! };
}

describe("a tag build", () => {
  it("goes noticed → queued → building → uploaded, with the exact tag object handed to the builder", async () => {
    const { repo, id } = await pushed();
    const queued = await jobIn(id, ["queued"]);
    expect(queued.tag).toMatchObject({
      name: repo.tagName,
      objectId: repo.tagId,
      commit: repo.commitId,
      source: "example",
      version: "1.0-1",
      distro: DISTRO,
    });
    expect(queued.tag.tagger).toBe("Forgeline Test <test@forgeline.invalid>");

    const b = await builder();
    const job = await b.takeJob();
    expect(job).toMatchObject({ jobId: id, source: "example", repoUrl: repo.url });
    const catFile = await sh(`git -C ${repo.path} cat-file tag ${repo.tagId} | base64 -w0`);
    expect(btoa(String.fromCharCode(...job.tag))).toBe(catFile.trim());
    const building = await jobIn(id, ["building"]);
    expect(building.builder).toMatch(/^builder-/);
    b.send("message dgit says: all good");
    b.send("uploaded");
    const done = await jobIn(id, ["uploaded"]);
    expect(done.messages.map((m: Answer) => m.text)).toEqual(["dgit says: all good"]);
    expect(done.transitions.map((t: Answer) => t.to)).toEqual(["noticed", "queued", "building", "uploaded"]);
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.buildingAt);

    // Listings read the JobObject's D1 summary, which follows its commit within moments.
    const listed = await eventually(
      async () => {
        const res = await json(
          call(`/api/tagbuild/jobs?status=uploaded&repo=${encodeURIComponent(repo.url)}`, {
            headers: { Accept: "application/json" },
          }),
        );
        return res.body.jobs.length > 0 && res;
      },
      10_000,
      "listed as uploaded",
    );
    expect(listed.body.jobs.map((j: Answer) => j.id)).toEqual([id]);
    const html = await call(`/api/tagbuild/jobs/${id}`, { headers: { Accept: "text/html" } });
    expect(html.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(await html.text()).toContain("dgit says: all good");
    expect((await call(`/api/tagbuild/jobs?status=nonsense`)).status).toBe(400);
    expect((await call(`/api/tagbuild/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV`)).status).toBe(404);
  });

  it("fetches private repos with the forge's token", async () => {
    const { id } = await pushed({ prefix: `_auth/x-access-token:${FORGE_TOKEN}` });
    await jobIn(id, ["queued"]);
  });

  it("resolves the tag object id from the ref when the payload has none (GitHub's create event)", async () => {
    const repo = await tagRepo(unique("r"));
    await registerTagRepo(repo.url);
    const res = await pushTag(file.secret(), repo, null, { event: "create" });
    const job = await jobIn(res.jobs[0]!, ["queued"]);
    expect(job.tag).toMatchObject({ pushedId: null, objectId: repo.tagId });
  });

  it("ends builds the builder reports irrecoverable, or that lose their builder mid-job", async () => {
    const a = await pushed();
    const b1 = await builder();
    await b1.takeJob();
    b1.send("message cannot build: bad quilt");
    b1.send("irrecoverable");
    const failed = await jobIn(a.id, ["irrecoverable"]);
    expect(failed.reason).toMatch(/reported the build irrecoverable/);
    expect(failed.messages[0].text).toBe("cannot build: bad quilt");

    const c = await pushed();
    const b2 = await builder();
    await b2.takeJob();
    await jobIn(c.id, ["building"]);
    b2.close();
    expect((await jobIn(c.id, ["irrecoverable"])).reason).toMatch(/connection to builder .* lost/);
  });
});

describe("not for us", () => {
  it("ends tag deletions before any git traffic", async () => {
    // The repo does not exist on the server: Answer fetch would end irrecoverable, not not_for_us.
    const url = `${env.GIT_SERVER}/o/${unique("never")}`;
    await registerTagRepo(url);
    const res = await pushTag(file.secret(), { url, tagName: `${DISTRO}/1.0-1` }, null, { event: "delete" });
    const job = await jobIn(res.jobs[0]!, ["not_for_us"]);
    expect(job.reason).toBe(`tag ${DISTRO}/1.0-1 was deleted`);
  });

  it("ends tags without our metadata, or for another distro", async () => {
    const plain = await pushed({ message: "just a release\n" });
    expect((await jobIn(plain.id, ["not_for_us"])).reason).toBe("the tag message has no [dgit …] metadata");
    const other = await pushed({
      message: "x\n\n[dgit distro=other]\n[dgit please-upload source=example version=1.0-1]\n",
    });
    expect((await jobIn(other.id, ["not_for_us"])).reason).toBe(`metadata names distro other, not ${DISTRO}`);
  });

  it("starts no job for tags that are not plausibly ours", async () => {
    const repo = await tagRepo(unique("r"), { tagName: "v1.0" });
    await registerTagRepo(repo.url);
    const res = await pushTag(file.secret(), repo, repo.tagId);
    expect(res.status).toBe(202);
    expect(res.jobs).toEqual([]);
  });
});

describe("bad input", () => {
  it("answers 403 to webhooks from outside the forge's CIDRs and starts nothing", async () => {
    const host = `${unique("walled")}.forge.test`;
    const s = await registerForge(host, "gitea", { allowedCidrs: ["10.0.0.0/8"] });
    const res = await pushTag(s, { url: `https://${host}/o/p`, tagName: `${DISTRO}/1.0-1` }, "a".repeat(40), {
      headers: { "CF-Connecting-IP": "192.0.2.7" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("source_not_allowed");
  });

  it("ends irrecoverable, each with its reason, while a good job beside them is uploaded", async () => {
    const day = 86_400_000;
    const cases: { label: string; opts: Parameters<typeof pushed>[0]; reason: RegExp }[] = [
      {
        label: "id mismatch",
        opts: { pushAs: "b".repeat(40) },
        reason: /tag object id mismatch: .* the push said b{40}/,
      },
      {
        label: "!-key",
        opts: { message: tagMessage("example", "1.0-1", "[dgit !must-understand]\n") },
        reason: /demands "!must-understand"/,
      },
      {
        label: "malformed [dgit",
        opts: { message: tagMessage("example", "1.0-1", "[dgit distro=test-dummy\n") },
        reason: /malformed metadata line/,
      },
      { label: "stale tagger", opts: { taggedAt: Date.now() - 4 * day }, reason: /older than 72 h/ },
      { label: "future tagger", opts: { taggedAt: Date.now() + 3_600_000 }, reason: /in the future/ },
      {
        label: "name vs version",
        opts: { message: tagMessage("example", "2.0-1") },
        reason: /does not match its metadata \(expected test-dummy\/2.0-1\)/,
      },
    ];
    const started = await Promise.all(cases.map(async (c) => ({ ...c, ...(await pushed(c.opts)) })));
    const good = await pushed();
    for (const c of started) expect((await jobIn(c.id, ["irrecoverable"])).reason, c.label).toMatch(c.reason);
    const b = await builder();
    expect((await b.takeJob()).jobId).toBe(good.id);
    b.send("uploaded");
    await jobIn(good.id, ["uploaded"]);
  });

  it("ends irrecoverable at once when the repo or the tag does not exist", async () => {
    const url = `${env.GIT_SERVER}/o/${unique("missing")}`;
    await registerTagRepo(url);
    const res = await pushTag(file.secret(), { url, tagName: `${DISTRO}/1.0-1` }, "c".repeat(40));
    expect((await jobIn(res.jobs[0]!, ["irrecoverable"])).reason).toMatch(/does not exist/);
    const repo = await tagRepo(unique("r"));
    await registerTagRepo(repo.url);
    const other = await pushTag(file.secret(), { url: repo.url, tagName: `${DISTRO}/9.9-1` }, repo.tagId);
    expect((await jobIn(other.jobs[0]!, ["irrecoverable"])).reason).toBe(
      `tag ${DISTRO}/9.9-1 does not exist in ${repo.url}`,
    );
  });

  it("refuses a huge tag by its size without inflating it", async () => {
    const repo = await tagRepo(unique("r"));
    // A 64 MiB tag object (it compresses to almost nothing: only its declared size can refuse it).
    const huge = await sh(
      `{ printf 'object ${repo.commitId}\\ntype commit\\ntag ${DISTRO}/2.0-1\\ntagger T <t@x> %s +0000\\n\\n' "$(date +%s)"; head -c 67108864 /dev/zero | tr '\\0' 'a'; } > /tmp/huge-$$
       id=$(git -C ${repo.path} hash-object -t tag -w /tmp/huge-$$); rm /tmp/huge-$$
       git -C ${repo.path} update-ref refs/tags/${DISTRO}/2.0-1 $id; echo $id`,
    );
    await registerTagRepo(repo.url);
    const res = await pushTag(file.secret(), { url: repo.url, tagName: `${DISTRO}/2.0-1` }, huge.trim());
    expect((await jobIn(res.jobs[0]!, ["irrecoverable"])).reason).toMatch(
      /: 671089\d\d bytes is over the 1048576-byte limit/,
    );
  });

  it("refuses a lightweight tag (no tag object to check)", async () => {
    const repo = await tagRepo(unique("r"));
    await sh(`git -C ${repo.path} update-ref refs/tags/${DISTRO}/3.0-1 ${repo.commitId}`);
    await registerTagRepo(repo.url);
    const res = await pushTag(file.secret(), { url: repo.url, tagName: `${DISTRO}/3.0-1` }, repo.commitId);
    expect((await jobIn(res.jobs[0]!, ["irrecoverable"])).reason).toMatch(/is a commit, not an annotated tag object/);
  });
});
