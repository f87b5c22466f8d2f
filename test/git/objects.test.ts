// Object parsing against objects made by git: raw bytes kept (non-UTF-8 names and messages), extra headers in
// order, odd timezones, trees with symlinks, executables, gitlinks; ids recomputed by hashObject.

import { describe, expect, it } from "vitest";
import {
  fetchPack,
  hashObject,
  parseCommit,
  parseTag,
  parseTree,
  readPack,
  type PackedObject,
} from "../../workers/git";
import { failure, inRepo, makeRepo, repoName, sh } from "./support";

const parsePersonTz = (v: Uint8Array) => new TextDecoder().decode(v).split(" ").pop();
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

async function allObjects(url: string, wants: string[]): Promise<Map<string, PackedObject>> {
  const reader = readPack(await fetchPack(url, { wants }));
  const map = new Map<string, PackedObject>();
  for await (const o of reader.objects()) map.set(o.oid, o);
  return map;
}

async function rev(name: string, spec: string): Promise<string> {
  return (await inRepo(name, `git rev-parse '${spec}'`)).trim();
}

describe("objects", () => {
  it("parses a tree with symlinks, executables, a submodule gitlink and a non-UTF-8 name, as git ls-tree does", async () => {
    const name = repoName("obj-tree");
    const url = await makeRepo(
      name,
      `echo hi > plain && echo '#!/bin/sh' > run.sh && chmod +x run.sh && ln -s plain link && mkdir dir && echo x > dir/x
printf 'bytes' > "$(printf 'caf\\xe9.txt')"
git add -A && git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,sub
git commit -qm tree`,
    );
    const head = await rev(name, "main");
    const objects = await allObjects(url, [head]);
    const commit = parseCommit(objects.get(head)!.data);
    const tree = parseTree(objects.get(commit.tree)!.data);
    const lsTree = (await sh("git ls-tree -z main", { cwd: `${name}.git`, binary: true })).bytes!;
    const truth: { mode: number; type: string; oid: string; path: Uint8Array }[] = [];
    for (let at = 0; at < lsTree.length;) {
      const end = lsTree.indexOf(0, at);
      const line = lsTree.subarray(at, end);
      const tab = line.indexOf(9);
      const [mode, type, oid] = new TextDecoder().decode(line.subarray(0, tab)).split(" ");
      truth.push({ mode: parseInt(mode!, 8), type: type!, oid: oid!, path: line.slice(tab + 1) });
      at = end + 1;
    }
    expect(tree.map((e) => ({ mode: parseInt(e.mode, 8), type: e.type, oid: e.oid, path: e.path }))).toEqual(truth);
    expect(tree.find((e) => e.name === "link")?.mode).toBe("120000");
    expect(tree.find((e) => e.name === "run.sh")?.mode).toBe("100755");
    expect(tree.find((e) => e.name === "sub")).toMatchObject({ mode: "160000", type: "commit" });
    expect(tree.find((e) => e.name === "dir")).toMatchObject({ mode: "40000", type: "tree" });
    expect(tree.some((e) => Array.from(e.path).join() === Array.from(latin1("caf\xe9.txt")).join())).toBe(true);
    // The submodule's commit is not in the pack: a gitlink is only a pointer.
    expect(objects.has("1".repeat(40))).toBe(false);
  });

  it("keeps a non-UTF-8 commit message, its encoding, author bytes and raw timezone", async () => {
    const name = repoName("obj-latin1");
    const url = await makeRepo(
      name,
      `printf 'caf\\xe9 cr\\xe8me\\n\\nbody \\xff\\n' > ../msg-${name}
echo x > x && git add x
GIT_AUTHOR_NAME="$(printf 'Jos\\xe9')" GIT_AUTHOR_DATE="1700000000 +0530" GIT_COMMITTER_DATE="1700000100 -0000" \\
  git -c i18n.commitEncoding=ISO-8859-1 commit -q -F ../msg-${name}`,
    );
    const head = await rev(name, "main");
    const obj = (await allObjects(url, [head])).get(head)!;
    const raw = (await sh(`git cat-file commit ${head}`, { cwd: `${name}.git`, binary: true })).bytes!;
    expect(obj.data).toEqual(raw);
    const c = parseCommit(obj.data);
    expect(c.encoding).toBe("ISO-8859-1");
    expect(c.message).toEqual(latin1("caf\xe9 cr\xe8me\n\nbody \xff\n"));
    expect(c.author.raw).toEqual(latin1("Jos\xe9 <test@forgeline.invalid> 1700000000 +0530"));
    expect(c.author.time).toBe(1700000000);
    expect(c.author.tz).toBe("+0530");
    // git normalizes "-0000" when committing; whatever it wrote must come back byte for byte.
    const committerLine = new TextDecoder("latin1")
      .decode(raw)
      .split("\n")
      .find((l) => l.startsWith("committer "))!;
    expect(c.committer.raw).toEqual(latin1(committerLine.slice(10)));
    expect(c.committer.tz).toBe(committerLine.split(" ").pop());
    expect(c.parents).toEqual([]);
    expect(c.tree).toBe(await rev(name, "main^{tree}"));
    expect(await hashObject("commit", obj.data)).toBe(head);
  });

  it("keeps gpgsig and mergetag headers in order, multi-line values joined", async () => {
    const name = repoName("obj-sig");
    await makeRepo(name, "echo x > x && git add x && git commit -qm one && git commit -q --allow-empty -m two");
    // A commit with signature-like headers, written as git stores them (continuation lines start with a space).
    const dir = `${name}.git`;
    const id = (
      await sh(
        `git cat-file commit main > c
{ sed -n '1,/^committer /p' c
  printf 'mergetag object %s\\n type commit\\n tag v0\\n tagger T <t@x> 1 +0000\\n \\n merged tag\\n' "$(git rev-parse main~1)"
  printf 'gpgsig -----BEGIN PGP SIGNATURE-----\\n \\n iQEzBAAB\\n -----END PGP SIGNATURE-----\\n'
  printf 'x-custom value\\n'
  printf 'committer Odd <o@x> 1700000000 -0000\\n'
  sed -n '/^$/,$p' c; } > signed
git hash-object --literally -t commit -w signed`,
        { cwd: dir },
      )
    ).stdout.trim();
    const data = (await sh(`git cat-file commit ${id}`, { cwd: dir, binary: true })).bytes!;
    expect(await hashObject("commit", data)).toBe(id);
    const c = parseCommit(data);
    expect(c.parents).toEqual([await rev(name, "main~1")]);
    expect(c.extra.map((h) => h.name)).toEqual(["mergetag", "gpgsig", "x-custom", "committer"]);
    // A second committer header is unusual but legal bytes: kept in order, not merged into the first.
    expect(c.committer.tz).not.toBe("-0000");
    expect(parsePersonTz(c.extra[3]!.value)).toBe("-0000");
    expect(new TextDecoder().decode(c.extra[1]!.value)).toBe(
      "-----BEGIN PGP SIGNATURE-----\n\niQEzBAAB\n-----END PGP SIGNATURE-----",
    );
    expect(new TextDecoder().decode(c.extra[0]!.value)).toMatch(/^object [0-9a-f]{40}\ntype commit\ntag v0\n/);
    expect(c.text).toBe("two\n");
  });

  it("parses tags of commits, tags, trees and blobs", async () => {
    const name = repoName("obj-tags");
    const url = await makeRepo(
      name,
      `echo x > x && git add x && git commit -qm one
git tag -a -m "on commit" t-commit && git tag -a -m "on tag" t-tag t-commit
git tag -a -m "on tree" t-tree "HEAD^{tree}" && git tag -a -m "on blob" t-blob HEAD:x`,
    );
    const wants = await Promise.all(["t-commit", "t-tag", "t-tree", "t-blob"].map((t) => rev(name, t)));
    const objects = await allObjects(url, wants);
    const kinds = await Promise.all(["t-commit^{}", "t-commit", "HEAD^{tree}", "HEAD:x"].map((s) => rev(name, s)));
    const expected = [
      { tag: "t-commit", type: "commit", object: kinds[0] },
      { tag: "t-tag", type: "tag", object: kinds[1] },
      { tag: "t-tree", type: "tree", object: kinds[2] },
      { tag: "t-blob", type: "blob", object: kinds[3] },
    ];
    for (const [i, want] of wants.entries()) {
      const obj = objects.get(want)!;
      expect(obj.type).toBe("tag");
      const t = parseTag(obj.data);
      expect(t).toMatchObject(expected[i]!);
      expect(t.tagger?.email).toBe("test@forgeline.invalid");
      expect(t.text).toBe(`on ${expected[i]!.type}\n`);
      expect(objects.get(t.object)?.type).toBe(t.type);
    }
  });

  it("hashes objects as git does, including the empty blob and binary data", async () => {
    expect(await hashObject("blob", new Uint8Array(0))).toBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    const out = await sh("git hash-object --stdin", { stdin: bytes });
    expect(await hashObject("blob", bytes)).toBe(out.stdout.trim());
    expect(await failure(hashObject("nope" as "blob", bytes))).toBeInstanceOf(Error);
  });

  it("rejects malformed objects as strong", async () => {
    const enc = new TextEncoder();
    expect((await failure(Promise.resolve().then(() => parseCommit(enc.encode("tree nope\n\nmsg"))))).strength).toBe(
      "strong",
    );
    expect(
      (await failure(Promise.resolve().then(() => parseCommit(enc.encode("author A <a> 1 +0000\n\n"))))).reason,
    ).toBe("bad_object");
    expect(
      (
        await failure(
          Promise.resolve().then(() => parseTag(enc.encode(`object ${"a".repeat(40)}\ntype sock\ntag x\n\n`))),
        )
      ).reason,
    ).toBe("bad_object");
    expect((await failure(Promise.resolve().then(() => parseTree(enc.encode("100644 name-without-nul"))))).reason).toBe(
      "bad_object",
    );
  });
});
