// The bounded-memory path end to end: fetch a pack, store it in R2 (multipart), parse it back from R2 with a
// tiny base cache, re-reading evicted bases by range from the stored pack.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GitError, fetchPack, readPack, r2Spill, storePack } from "../../workers/git";
import { failure, inRepo, makeRepo, repoName } from "./support";

describe("packs in R2", () => {
  it("stores a fetched pack in parts and parses it from R2 with no base cache or window, re-reading every base by range", async () => {
    const name = repoName("r2");
    // ~6 MiB of random data forces two multipart parts; the text history gives long delta chains.
    const url = await makeRepo(
      name,
      `head -c 6500000 /dev/urandom > big.bin && git add big.bin && git commit -qm big
for i in $(seq 1 30); do seq 1 $((300 + i * 7)) > t.txt; git add t.txt; git commit -qm t$i; done`,
    );
    await inRepo(name, "git repack -adq --window=50 --depth=50");
    const head = (await inRepo(name, "git rev-parse main")).trim();
    const key = `packs/${name}.pack`;
    const { size } = await storePack(env.ARCHIVE, key, await fetchPack(url, { wants: [head] }), {
      partBytes: 5 * 1024 * 1024,
    });
    expect((await env.ARCHIVE.head(key))!.size).toBe(size);

    const reads: number[] = [];
    const spill = r2Spill(env.ARCHIVE, key);
    const counting = { read: (o: number, l: number) => (reads.push(o), spill.read(o, l)) };
    const reader = readPack((await env.ARCHIVE.get(key))!.body, { cacheBytes: 1, windowBytes: 0, spill: counting });
    const seen = new Map<string, string>();
    for await (const o of reader.objects()) seen.set(o.oid, o.type);
    const truth = await inRepo(
      name,
      "git rev-list --objects main | cut -d' ' -f1 | git cat-file --batch-check='%(objectname) %(objecttype)'",
    );
    expect(seen).toEqual(
      new Map(
        truth
          .trim()
          .split("\n")
          .map((l) => l.split(" ") as [string, string]),
      ),
    );
    expect(reads.length).toBeGreaterThan(0);
  });

  it("aborts the upload when the pack stream fails, leaving no object", async () => {
    const key = `packs/${repoName("r2-fail")}.pack`;
    let n = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ < 3) c.enqueue(new Uint8Array(1024 * 1024));
        else c.error(new GitError("weak", "stream_cut", "cut"));
      },
    });
    const err = await failure(storePack(env.ARCHIVE, key, failing));
    expect(err).toBeInstanceOf(GitError);
    expect(await env.ARCHIVE.head(key)).toBeNull();
    const objects = readPack(new Blob([]).stream(), { spill: r2Spill(env.ARCHIVE, key) }).objects();
    expect((await failure(objects[Symbol.asyncIterator]().next())).reason).toBe("truncated_pack");
  });
});
