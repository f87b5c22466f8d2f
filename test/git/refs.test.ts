// listRefs against the loopback git server: v2 and v0, symrefs, peeled tags, prefixes, and failures.

import { describe, expect, it } from "vitest";
import { GitError, listRefs, isMissing, isForgeDown, toJobError } from "../../workers/git";
import { failure, inRepo, makeRepo, repoName, server, sh } from "./support";

/** git's own view: "oid name" per ref, plus "oid name^{}" for peeled tags. */
async function showRef(name: string): Promise<Map<string, string>> {
  const out = await inRepo(name, "git show-ref -d");
  return new Map(
    out
      .trim()
      .split("\n")
      .map((l) => [l.slice(41), l.slice(0, 40)] as [string, string]),
  );
}

const HISTORY = `echo one > a && git add a && git commit -qm one
git tag light && git tag -a -m "annotated" v1
git checkout -qb feature && echo two > b && git add b && git commit -qm two
git tag -a -m "tag of a tag" v1-outer v1
git checkout -q main
git tag -a -m "tag of a tree" tree-tag "HEAD^{tree}"
git tag -a -m "tag of a blob" blob-tag "HEAD:a"`;

describe("listRefs", () => {
  it("lists refs over protocol v2 with HEAD's target and peeled tags, as git shows them", async () => {
    const name = repoName("refs-v2");
    const url = await makeRepo(name, HISTORY);
    const listing = await listRefs(url);
    expect(listing.protocol).toBe(2);
    const truth = await showRef(name);
    const head = listing.refs.find((r) => r.name === "HEAD");
    expect(head?.symref).toBe("refs/heads/main");
    expect(head?.oid).toBe(truth.get("refs/heads/main"));
    for (const ref of listing.refs.filter((r) => r.name !== "HEAD")) {
      expect(ref.oid).toBe(truth.get(ref.name));
      expect(ref.peeled).toBe(truth.get(`${ref.name}^{}`));
    }
    expect(listing.refs.filter((r) => r.name !== "HEAD").length).toBe(
      [...truth.keys()].filter((k) => !k.endsWith("^{}")).length,
    );
    // A tag of a tag peels to the commit; tags of a tree and a blob peel to them.
    const outer = listing.refs.find((r) => r.name === "refs/tags/v1-outer")!;
    expect(outer.peeled).toBe(truth.get("refs/heads/main"));
    expect(listing.refs.find((r) => r.name === "refs/tags/blob-tag")!.peeled).toBe(
      (await inRepo(name, "git rev-parse main:a")).trim(),
    );
    expect(listing.refs.find((r) => r.name === "refs/tags/tree-tag")!.peeled).toBe(
      (await inRepo(name, "git rev-parse 'main^{tree}'")).trim(),
    );
    expect(listing.refs.find((r) => r.name === "refs/tags/light")!.peeled).toBeUndefined();
  });

  it("asks a v2 server only for the given prefixes", async () => {
    const name = repoName("refs-prefix");
    const url = await makeRepo(name, HISTORY);
    const listing = await listRefs(url, { prefixes: ["refs/tags/v1"] });
    expect(listing.refs.map((r) => r.name).sort()).toEqual(["refs/tags/v1", "refs/tags/v1-outer"]);
  });

  it("reads the v0 advertisement of receive-pack, with symrefs and peeled tags", async () => {
    const name = repoName("refs-v0");
    const url = await makeRepo(name, HISTORY);
    const listing = await listRefs(url, { service: "git-receive-pack" });
    expect(listing.protocol).toBe(0);
    expect(listing.capabilities).toContain("report-status");
    const truth = await showRef(name);
    for (const ref of listing.refs) expect(ref.oid).toBe(truth.get(ref.name));
    expect(listing.refs.length).toBe([...truth.keys()].filter((k) => !k.endsWith("^{}")).length);
    const prefixed = await listRefs(url, { service: "git-receive-pack", prefixes: ["refs/heads/"] });
    expect(prefixed.refs.map((r) => r.name).sort()).toEqual(["refs/heads/feature", "refs/heads/main"]);
  });

  it("reads the v0 upload-pack advertisement (asked for v0) the same as v2's ls-refs", async () => {
    const name = repoName("refs-v0-up");
    const url = await makeRepo(name, HISTORY);
    const v2 = await listRefs(url);
    const v0 = await listRefs(url, { protocol: 0 });
    expect(v0.protocol).toBe(0);
    expect(v0.capabilities).toContain("side-band-64k");
    const strip = (l: typeof v2) => l.refs.map((r) => `${r.name} ${r.oid} ${r.peeled ?? ""} ${r.symref ?? ""}`).sort();
    expect(strip(v0)).toEqual(strip(v2));
    expect(v0.refs.find((r) => r.name === "HEAD")?.symref).toBe("refs/heads/main");
    expect(v0.refs.find((r) => r.name === "refs/tags/v1")?.peeled).toBeDefined();
  });

  it("lists an empty repository as no refs", async () => {
    const name = repoName("refs-empty");
    await sh(`git init -q --bare -b main ${name}.git`);
    const url = `${server()}/${name}.git`;
    expect((await listRefs(url)).refs).toEqual([]);
    expect((await listRefs(url, { service: "git-receive-pack" })).refs).toEqual([]);
    expect((await listRefs(url, { protocol: 0 })).refs).toEqual([]);
  });

  it("lists thousands of refs", async () => {
    const name = repoName("refs-many");
    const url = await makeRepo(
      name,
      `echo x > x && git add x && git commit -qm x
for i in $(seq 1 3000); do echo "create refs/heads/b$i HEAD"; done | git update-ref --stdin
for i in $(seq 1 500); do echo "create refs/tags/t$i HEAD"; done | git update-ref --stdin`,
    );
    const v2 = await listRefs(url);
    expect(v2.refs.length).toBe(1 + 3001 + 500);
    const v0 = await listRefs(url, { service: "git-receive-pack" });
    expect(v0.refs.length).toBe(3001 + 500);
  });

  it("says gone for a missing repository, weak for a 500, strong for a dumb server", async () => {
    const missing = await failure(listRefs(`${server()}/${repoName("nope")}.git`));
    expect(missing).toBeInstanceOf(GitError);
    expect(missing.strength).toBe("gone");
    expect(missing.status).toBe(404);
    expect(isMissing(missing)).toBe(true);
    expect(toJobError(missing)).toMatchObject({ name: "JobError", strength: "not_found" });

    const name = repoName("refs-faults");
    await makeRepo(name, "echo x > x && git add x && git commit -qm x");
    for (const code of [401, 403, 410])
      expect((await failure(listRefs(`${server()}/_fault/status/${code}/${name}.git`))).strength).toBe("gone");
    for (const code of [500, 502, 503]) {
      const err = await failure(listRefs(`${server()}/_fault/status/${code}/${name}.git`));
      expect(err.strength).toBe("weak");
      expect(isForgeDown(err)).toBe(true);
      expect(toJobError(err)).toMatchObject({ strength: "weak" });
    }
    const dumb = await failure(listRefs(`${server()}/_fault/dumb/${name}.git`));
    expect(dumb.strength).toBe("strong");
    expect(dumb.reason).toBe("dumb_http");
    const cut = await failure(listRefs(`${server()}/_fault/cut/30/${name}.git`));
    expect(cut.strength).toBe("weak");
  });

  it("says weak when nothing listens, and refuses URLs the outbound policy forbids", async () => {
    const refused = await failure(listRefs("http://127.0.0.1:9/x.git"));
    expect(refused).toBeInstanceOf(GitError);
    expect(refused.strength).toBe("weak");
    const policy = await failure(listRefs(`${server()}/x.git`, { policy: { allowLoopback: false } }));
    expect(policy.strength).toBe("strong");
    expect(policy.reason).toBe("url_not_allowed");
    expect((await failure(listRefs("http://example.com/x.git"))).reason).toBe("url_not_allowed");
    expect((await failure(listRefs("https://10.1.2.3/x.git"))).reason).toBe("url_not_allowed");
    expect((await failure(listRefs("https://user:pw@example.com/x.git"))).reason).toBe("invalid_url");
  });

  it("sends credentials with tokenAuth and says gone without them", async () => {
    const name = repoName("refs-auth");
    await makeRepo(name, "echo x > x && git add x && git commit -qm x");
    const { tokenAuth } = await import("../../workers/git");
    const url = `${server()}/_auth/bot:s3cret/${name}.git`;
    expect((await failure(listRefs(url))).reason).toBe("unauthorized");
    expect((await failure(listRefs(url, { auth: tokenAuth("wrong", "bot") }))).status).toBe(401);
    const ok = await listRefs(url, { auth: tokenAuth("s3cret", "bot") });
    expect(ok.refs.some((r) => r.name === "refs/heads/main")).toBe(true);
  });
});
