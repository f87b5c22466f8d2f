// fetchPack + readPack against the loopback git server: whole, shallow, filtered, incremental, and failures.

import { describe, expect, it } from "vitest";
import { GitError, fetchPack, listRefs, readPack } from "../../workers/git";
import { collect, failure, inRepo, makeRepo, repoName, server } from "./support";

const HISTORY = `for i in $(seq 1 12); do seq 1 $((100 * i)) > f.txt; echo "v$i" > v; git add -A; git commit -qm "c$i"; done
git tag -a -m "release" v1 HEAD~3`;

async function oidsOf(stream: ReadableStream<Uint8Array>) {
  const reader = readPack(stream);
  const seen = new Map<string, string>();
  for await (const o of reader.objects()) seen.set(o.oid, o.type);
  return { seen, checksum: reader.checksum };
}

/** git's own answer: "oid type" of every object reachable from `revs` (objects listed by rev-list). */
async function reachable(name: string, revs: string): Promise<Map<string, string>> {
  const out = await inRepo(
    name,
    `git rev-list --objects ${revs} | cut -d' ' -f1 | git cat-file --batch-check='%(objectname) %(objecttype)'`,
  );
  return new Map(
    out
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string]),
  );
}

describe("fetchPack", () => {
  for (const protocol of [2, 0] as const) {
    it(`fetches every object reachable from the wants (protocol v${protocol})`, async () => {
      const name = repoName(`fetch-v${protocol}`);
      const url = await makeRepo(name, HISTORY);
      const { refs } = await listRefs(url, { protocol });
      const wants = refs.filter((r) => r.name !== "HEAD").map((r) => r.oid);
      const { seen } = await oidsOf(await fetchPack(url, { wants, protocol }));
      expect(seen).toEqual(await reachable(name, "--all"));
    });
  }

  it("fetches only what the haves lack", async () => {
    const name = repoName("fetch-haves");
    const url = await makeRepo(name, HISTORY);
    const head = (await inRepo(name, "git rev-parse main")).trim();
    const old = (await inRepo(name, "git rev-parse main~4")).trim();
    const { seen } = await oidsOf(await fetchPack(url, { wants: [head], haves: [old] }));
    expect(seen).toEqual(await reachable(name, `main ^${old}`));
  });

  it("fetches a shallow history with depth, and no blobs with a filter", async () => {
    const name = repoName("fetch-shallow");
    const url = await makeRepo(name, HISTORY);
    const head = (await inRepo(name, "git rev-parse main")).trim();
    const shallow = await oidsOf(await fetchPack(url, { wants: [head], depth: 1 }));
    expect([...shallow.seen.values()].filter((t) => t === "commit").length).toBe(1);
    expect(shallow.seen).toEqual(await reachable(name, "main -n 1 --no-walk"));

    const filtered = await oidsOf(await fetchPack(url, { wants: [head], filter: "blob:none" }));
    const all = await reachable(name, "main");
    expect([...filtered.seen.values()]).not.toContain("blob");
    expect(filtered.seen.size).toBe([...all.values()].filter((t) => t !== "blob").length);
  });

  it("refuses bad requests before sending anything", async () => {
    const url = `${server()}/none.git`;
    expect((await failure(fetchPack(url, { wants: [] }))).reason).toBe("no_wants");
    expect((await failure(fetchPack(url, { wants: ["abc"] }))).reason).toBe("bad_oid");
    expect((await failure(fetchPack(url, { wants: ["a".repeat(40)], depth: 0 }))).reason).toBe("bad_depth");
  });

  it("says strong when the remote refuses a want it does not have", async () => {
    const name = repoName("fetch-notours");
    const url = await makeRepo(name, HISTORY);
    const err = await failure(fetchPack(url, { wants: ["1".repeat(40)] }).then(collect));
    expect(err).toBeInstanceOf(GitError);
    expect(err.strength).toBe("strong");
    expect(err.message).toMatch(/not our ref|remote/);
  });

  it("says gone for a missing repository, weak for 5xx, strong for a dumb server", async () => {
    const want = { wants: ["1".repeat(40)] };
    expect((await failure(fetchPack(`${server()}/${repoName("missing")}.git`, want))).strength).toBe("gone");
    const name = repoName("fetch-status");
    await makeRepo(name, HISTORY);
    expect((await failure(fetchPack(`${server()}/_fault/status/500/${name}.git`, want))).strength).toBe("weak");
    expect((await failure(fetchPack(`${server()}/_fault/status/404/${name}.git`, want))).strength).toBe("gone");
    expect((await failure(fetchPack(`${server()}/_fault/dumb/${name}.git`, want))).strength).toBe("strong");
  });

  it("says weak when the server dies mid-pack", async () => {
    const name = repoName("fetch-cut");
    const url = await makeRepo(name, `head -c 300000 /dev/urandom > r.bin && git add r.bin && git commit -qm random`);
    const head = (await inRepo(name, "git rev-parse main")).trim();
    // The cut applies to every response of that URL: the advertisement is small, the pack is not.
    // It may break before the first pack bytes (fetchPack fails) or after (the stream fails): weak either way.
    const err = await failure(fetchPack(`${server()}/_fault/cut/20000/${name}.git`, { wants: [head] }).then(oidsOf));
    expect(err).toBeInstanceOf(GitError);
    expect(err.strength).toBe("weak");
    // The same fetch without the fault works.
    expect((await oidsOf(await fetchPack(url, { wants: [head] }))).seen.size).toBe(3);
  });

  it("says weak when the caller aborts a slow fetch", async () => {
    const name = repoName("fetch-abort");
    await makeRepo(name, HISTORY);
    const head = (await inRepo(name, "git rev-parse main")).trim();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(
      fetchPack(`${server()}/_fault/slow/3000/${name}.git`, { wants: [head], signal: controller.signal }),
    );
    expect(err).toBeInstanceOf(GitError);
    expect(err.strength).toBe("weak");
    expect(err.reason).toBe("aborted");
  });
});
