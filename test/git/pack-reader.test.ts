// readPack on packs written by git pack-objects: every id, type, offset and byte checked against git.

import { describe, expect, it } from "vitest";
import { GitError, readPack, type PackedObject, type PackSpill } from "../../workers/git";
import { chunked, failure, makeRepo, repoName, sh } from "./support";

/** A history with many similar blob versions, so pack-objects writes long delta chains. */
const DELTAS = `for i in $(seq 1 40); do
  seq 1 $((200 + i)) > big.txt; echo "change $i" >> big.txt
  mkdir -p d/$((i % 3)); echo "file $i" > d/$((i % 3))/f$i
  git add -A && git commit -qm "commit $i"
done
git tag -a -m annotated v1
printf '' > empty && git add empty && git commit -qm "empty blob"`;

/** `git verify-pack -v`: oid → { type, offset, size (undeltified objects only) } for every object in the pack. */
async function verifyPack(
  dir: string,
  pack: string,
): Promise<Map<string, { type: string; offset: number; size?: number }>> {
  const out = (await sh(`git verify-pack -v ${pack}`, { cwd: dir })).stdout;
  const map = new Map<string, { type: string; offset: number; size?: number }>();
  for (const line of out.split("\n")) {
    const m = /^([0-9a-f]{40}) (\w+)\s+(\d+) (\d+) (\d+)( \d+ [0-9a-f]{40})?$/.exec(line);
    if (m) map.set(m[1]!, { type: m[2]!, size: m[6] ? undefined : Number(m[3]), offset: Number(m[5]) });
  }
  return map;
}

/** Builds a repo, writes a pack of all its objects with `flags`, and returns the pack bytes plus git's view. */
async function gitPack(flags: string) {
  const name = repoName("pack");
  await makeRepo(name, DELTAS);
  const dir = `${name}.git`;
  await sh(`git rev-list --objects --all | git pack-objects -q ${flags} --window=50 --depth=50 pack`, { cwd: dir });
  const file = (await sh("ls pack-*.pack", { cwd: dir })).stdout.trim();
  const bytes = (await sh(`cat ${file}`, { cwd: dir, binary: true })).bytes!;
  return {
    name,
    dir,
    bytes,
    truth: await verifyPack(dir, file.replace(/\.pack$/, ".idx")),
    checksum: file.slice(5, 45),
  };
}

async function readAll(stream: ReadableStream<Uint8Array>, opts?: Parameters<typeof readPack>[1]) {
  const reader = readPack(stream, opts);
  const objects: PackedObject[] = [];
  for await (const o of reader.objects()) objects.push(o);
  return { objects, checksum: reader.checksum, count: reader.count };
}

/** Checks every object against git: same set, types, offsets, sizes, and a sample of contents via cat-file. */
async function expectMatchesGit(got: PackedObject[], pack: Awaited<ReturnType<typeof gitPack>>) {
  expect(got.length).toBe(pack.truth.size);
  expect([...pack.truth.values()].some((t) => t.size === undefined)).toBe(true); // the pack has deltas
  for (const o of got) {
    const t = pack.truth.get(o.oid);
    expect(t, o.oid).toBeDefined();
    expect(o.type).toBe(t!.type);
    expect(o.offset).toBe(t!.offset);
    if (t!.size !== undefined) expect(o.data.length).toBe(t!.size);
  }
  const sample = got.filter((_, i) => i % 7 === 0).slice(0, 25);
  const out = await sh(`git cat-file --batch <<'EOF'\n${sample.map((o) => o.oid).join("\n")}\nEOF`, {
    cwd: pack.dir,
    binary: true,
  });
  const all = out.bytes!;
  let at = 0;
  for (const o of sample) {
    const nl = all.indexOf(10, at);
    const header = new TextDecoder().decode(all.subarray(at, nl));
    expect(header).toBe(`${o.oid} ${o.type} ${o.data.length}`);
    expect(all.subarray(nl + 1, nl + 1 + o.data.length)).toEqual(o.data);
    at = nl + 1 + o.data.length + 1;
  }
}

/** A spill over the pack's own bytes: what an R2 range read of the stored pack returns. */
function bytesSpill(bytes: Uint8Array, reads: number[]): PackSpill {
  return {
    async read(offset, length) {
      reads.push(offset);
      return bytes.slice(offset, offset + length);
    },
  };
}

describe("readPack", () => {
  it("parses an OFS_DELTA pack in odd-sized chunks: ids, types, offsets, contents and checksum as git has them", async () => {
    const pack = await gitPack("--delta-base-offset");
    const { objects, checksum, count } = await readAll(chunked(pack.bytes, 1021));
    expect(count).toBe(pack.truth.size);
    expect(checksum).toBe(pack.checksum);
    await expectMatchesGit(objects, pack);
  });

  it("parses a REF_DELTA pack, one byte at a time", async () => {
    const pack = await gitPack("");
    const { objects, checksum } = await readAll(chunked(pack.bytes, 1));
    expect(checksum).toBe(pack.checksum);
    await expectMatchesGit(objects, pack);
  });

  it("re-reads evicted bases through the spill when the cache is tiny", async () => {
    const pack = await gitPack("--delta-base-offset");
    const reads: number[] = [];
    const { objects } = await readAll(chunked(pack.bytes, 65536), {
      cacheBytes: 2048,
      windowBytes: 0,
      spill: bytesSpill(pack.bytes, reads),
    });
    await expectMatchesGit(objects, pack);
    expect(reads.length).toBeGreaterThan(0);
  });

  it("re-reads evicted bases from its window of recent pack bytes before asking the spill", async () => {
    const pack = await gitPack("--delta-base-offset");
    const reads: number[] = [];
    const reader = readPack(chunked(pack.bytes, 777), {
      cacheBytes: 1,
      windowBytes: 1 << 20,
      spill: bytesSpill(pack.bytes, reads),
    });
    const objects: PackedObject[] = [];
    for await (const o of reader.objects()) objects.push(o);
    await expectMatchesGit(objects, pack);
    expect(reader.stats.windowReads).toBeGreaterThan(0);
    expect(reads.length).toBe(0);
    // A window smaller than the distance to a base falls back to the spill.
    const small = readPack(chunked(pack.bytes, 777), {
      cacheBytes: 1,
      windowBytes: 3000,
      spill: bytesSpill(pack.bytes, reads),
    });
    const again: PackedObject[] = [];
    for await (const o of small.objects()) again.push(o);
    await expectMatchesGit(again, pack);
    expect(small.stats.spillReads).toBeGreaterThan(0);
    expect(small.stats.windowReads).toBeGreaterThan(0);
  });

  it("without a spill, says which base was evicted instead of using unbounded memory", async () => {
    const pack = await gitPack("--delta-base-offset");
    const err = await failure(readAll(chunked(pack.bytes), { cacheBytes: 256, windowBytes: 0 }));
    expect(err).toBeInstanceOf(GitError);
    expect(err.reason).toBe("base_evicted");
  });

  it("rejects a corrupt pack as strong: flipped data byte, bad checksum, bad signature, junk at the end", async () => {
    const pack = await gitPack("--delta-base-offset");
    const flipped = pack.bytes.slice();
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    const e1 = await failure(readAll(chunked(flipped)));
    expect(e1).toBeInstanceOf(GitError);
    expect(e1.strength).toBe("strong");

    const badTrailer = pack.bytes.slice();
    badTrailer[badTrailer.length - 1]! ^= 1;
    const e2 = await failure(readAll(chunked(badTrailer)));
    expect(e2.strength).toBe("strong");
    expect(e2.message).toMatch(/checksum/);

    const notPack = pack.bytes.slice();
    notPack[0] = 0x51;
    expect((await failure(readAll(chunked(notPack)))).reason).toBe("corrupt_pack");

    const junk = new Uint8Array(pack.bytes.length + 3);
    junk.set(pack.bytes);
    expect((await failure(readAll(chunked(junk)))).message).toMatch(/junk/);
  });

  it("rejects a truncated pack as strong, wherever it is cut", async () => {
    const pack = await gitPack("--delta-base-offset");
    for (const keep of [5, 12, 13, 100, Math.floor(pack.bytes.length / 2), pack.bytes.length - 1]) {
      const err = await failure(readAll(chunked(pack.bytes.slice(0, keep))));
      expect(err).toBeInstanceOf(GitError);
      expect(err.strength).toBe("strong");
      expect(err.reason).toBe("truncated_pack");
    }
  });

  it("rejects a thin pack (delta base missing) as strong", async () => {
    const name = repoName("thin");
    await makeRepo(name, `seq 1 500 > f && git add f && git commit -qm one && seq 1 501 > f && git commit -qam two`);
    const out = await sh(
      `printf '%s\\n' "$(git rev-parse main)" "^$(git rev-parse main~1)" | git pack-objects -q --revs --thin --stdout`,
      {
        cwd: `${name}.git`,
        binary: true,
      },
    );
    const err = await failure(readAll(chunked(out.bytes!)));
    expect(err).toBeInstanceOf(GitError);
    expect(err.reason).toBe("thin_pack");
  });

  it("passes on the failure of the stream it reads", async () => {
    const pack = await gitPack("--delta-base-offset");
    let sent = false;
    const broken = new ReadableStream<Uint8Array>({
      pull(c) {
        if (!sent) {
          sent = true;
          c.enqueue(pack.bytes.slice(0, 500));
        } else c.error(new Error("socket closed"));
      },
    });
    const err = await failure(readAll(broken));
    expect(err).toBeInstanceOf(GitError);
    expect(err.strength).toBe("weak");
  });

  it("refuses an object (or a delta result) larger than maxObjectBytes before making it", async () => {
    const pack = await gitPack("--delta-base-offset");
    const largest = Math.max(...[...pack.truth.values()].map((t) => t.size ?? 0));
    const err = await failure(readAll(chunked(pack.bytes), { maxObjectBytes: largest - 1 }));
    expect(err).toBeInstanceOf(GitError);
    expect(err.reason).toBe("too_large");
  });
});
