// writePack / writePackIndex / readPackIndex, checked by git itself: index-pack, fsck, show-index, and
// byte-for-byte equality with the .idx git writes.

import { describe, expect, it } from "vitest";
import {
  hashObject,
  readPack,
  readPackIndex,
  serializeTree,
  writePack,
  writePackIndex,
  type IndexEntry,
  type PackInput,
} from "../../workers/git";
import { collect, failure, makeRepo, repoName, sh } from "./support";

const enc = new TextEncoder();

/** A small history as plain objects: two blobs (one binary, one empty), a tree, a commit. */
async function sampleObjects(): Promise<{ objects: PackInput[]; commit: string }> {
  const binary = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
  const empty = new Uint8Array(0);
  const tree = serializeTree([
    { mode: "100644", path: "bin.dat", oid: await hashObject("blob", binary) },
    { mode: "100644", path: "empty", oid: await hashObject("blob", empty) },
  ]);
  const treeId = await hashObject("tree", tree);
  const commit = enc.encode(
    `tree ${treeId}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\nwritten by writePack\n`,
  );
  return {
    objects: [
      { type: "blob", data: binary },
      { type: "blob", data: empty },
      { type: "tree", data: tree },
      { type: "commit", data: commit },
    ],
    commit: await hashObject("commit", commit),
  };
}

describe("writePack", () => {
  it("writes a pack git indexes and fscks, and an .idx equal to git's own", async () => {
    const { objects, commit } = await sampleObjects();
    const entries: IndexEntry[] = [];
    let checksum = "";
    const bytes = await collect(writePack(objects, { onEntry: (e) => entries.push(e), onEnd: (c) => (checksum = c) }));
    const name = repoName("wp");
    const out = await sh(
      `git init -q --bare ${name}.git && cd ${name}.git && git index-pack --stdin --strict && git fsck --strict --no-dangling && git cat-file -p ${commit} && ls objects/pack/*.idx`,
      {
        stdin: bytes,
      },
    );
    expect(out.stdout.split("\n")[0]).toBe(`pack\t${checksum}`);
    expect(out.stdout).toContain("written by writePack");
    const idxFile = out.stdout.trim().split("\n").pop()!;
    const gitIdx = (await sh(`cat ${name}.git/${idxFile}`, { binary: true })).bytes!;
    expect(writePackIndex(entries, checksum)).toEqual(gitIdx);
    // And readPack agrees on every id, offset and CRC.
    const reader = readPack(new Blob([bytes]).stream());
    const back: IndexEntry[] = [];
    for await (const o of reader.objects()) back.push({ oid: o.oid, offset: o.offset, crc32: o.crc32 });
    expect(back).toEqual(entries);
    expect(reader.checksum).toBe(checksum);
  });

  it("streams from an async iterable with a count, and holds entries when the count is unknown", async () => {
    const { objects } = await sampleObjects();
    async function* gen() {
      for (const o of objects) yield o;
    }
    const a = await collect(writePack(gen(), { count: objects.length }));
    const b = await collect(writePack(gen()));
    expect(b).toEqual(a);
    const err = await failure(collect(writePack(gen(), { count: objects.length + 1 })));
    expect(String(err)).toMatch(/announced/);
    const empty = await collect(writePack([]));
    const out = await sh(`git init -q --bare ${repoName("wp-empty")}.git && cd $_ && git index-pack --stdin`, {
      stdin: empty,
    });
    expect(out.stdout).toMatch(/^pack\t[0-9a-f]{40}/);
  });
});

describe("writePackIndex", () => {
  it("equals git's .idx for a pack git wrote, and readPackIndex finds every object", async () => {
    const name = repoName("idx");
    await makeRepo(
      name,
      `for i in $(seq 1 30); do seq 1 $((i * 50)) > f; mkdir -p d$((i % 4)); echo $i > d$((i % 4))/g$i; git add -A; git commit -qm c$i; done`,
    );
    await sh("git repack -adq", { cwd: `${name}.git` });
    const file = (await sh("ls objects/pack/*.pack", { cwd: `${name}.git` })).stdout.trim();
    const pack = (await sh(`cat ${file}`, { cwd: `${name}.git`, binary: true })).bytes!;
    const gitIdx = (await sh(`cat ${file.replace(/\.pack$/, ".idx")}`, { cwd: `${name}.git`, binary: true })).bytes!;
    const reader = readPack(new Blob([pack]).stream());
    const entries: IndexEntry[] = [];
    for await (const o of reader.objects()) entries.push({ oid: o.oid, offset: o.offset, crc32: o.crc32 });
    const idx = writePackIndex(entries, reader.checksum);
    expect(idx).toEqual(gitIdx);
    const parsed = readPackIndex(idx);
    expect(parsed.count).toBe(entries.length);
    expect(parsed.packChecksum).toBe(reader.checksum);
    for (const e of entries) expect(parsed.lookup(e.oid)).toEqual(e);
    expect(parsed.lookup("0".repeat(40))).toBeUndefined();
  });

  it("writes 64-bit offsets past 2 GiB as git reads them (show-index)", async () => {
    const entries: IndexEntry[] = [
      { oid: "a".repeat(40), offset: 12, crc32: 1 },
      { oid: "b".repeat(40), offset: 2 ** 31 + 7, crc32: 0xffffffff },
      { oid: "0".repeat(39) + "1", offset: 5 * 2 ** 32 + 3, crc32: 0x12345678 },
    ];
    const idx = writePackIndex(entries, "c".repeat(40));
    const out = await sh("git show-index", { stdin: idx });
    const lines = out.stdout.trim().split("\n").sort();
    const expected = entries.map((e) => `${e.offset} ${e.oid} (${e.crc32.toString(16).padStart(8, "0")})`).sort();
    expect(lines).toEqual(expected);
    expect(readPackIndex(idx).entries()).toEqual([...entries].sort((a, b) => (a.oid < b.oid ? -1 : 1)));
  });

  it("rejects bad input: duplicate ids, bad ids, bad checksum; a corrupt .idx fails to read", async () => {
    expect(() =>
      writePackIndex(
        [
          { oid: "a".repeat(40), offset: 12, crc32: 0 },
          { oid: "a".repeat(40), offset: 40, crc32: 0 },
        ],
        "c".repeat(40),
      ),
    ).toThrow(/duplicate/);
    expect(() => writePackIndex([{ oid: "xyz", offset: 12, crc32: 0 }], "c".repeat(40))).toThrow(/bad oid/);
    expect(() => writePackIndex([], "nope")).toThrow(/checksum/);
    const idx = writePackIndex([{ oid: "a".repeat(40), offset: 12, crc32: 0 }], "c".repeat(40));
    idx[idx.length - 30]! ^= 1;
    expect(() => readPackIndex(idx)).toThrow(/checksum/);
  });
});
