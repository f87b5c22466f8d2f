// Software Heritage identifiers: every vector in ../shared/fixtures/swh/vectors.json (ids, manifests, SWHIDs),
// git→SWH conversion round trips, and the SWHID grammar with its qualifiers and its refusals.

import { describe, expect, it } from "vitest";
import { concat } from "../../workers/core/bytes";
import vectorsText from "../../../shared/fixtures/swh/vectors.json?raw";
import { contentHashes, originId, ContentHasher } from "../../workers/archive/hashes";
import { fromHex, toHex } from "../../workers/core/bytes";
import { objectHeader, objectId as gitObjectId } from "../../workers/git/sha1";
import {
  directoryId,
  directoryManifest,
  parseDirectory,
  releaseId,
  releaseManifest,
  revisionId,
  revisionManifest,
  snapshotId,
  snapshotManifest,
} from "../../workers/archive/manifest";
import { personOf, releaseFromTag, revisionFromCommit } from "../../workers/archive/convert";
import { formatCore, formatSwhid, parseCore, parseSwhid, SwhidError } from "../../workers/archive/swhid";
import { Blake2s, blake2s256 } from "../../workers/archive/blake2s";
import { blake2s as nobleBlake2s } from "@noble/hashes/blake2.js";
import type {
  Branch,
  BranchTargetType,
  DirectoryEntry,
  EntryType,
  ReleaseTargetType,
  Timestamp,
} from "../../workers/archive/model";
import type { Answer } from "../support/http";

interface Vector {
  name: string;
  type: "content" | "directory" | "revision" | "release" | "snapshot" | "origin";
  input: Answer;
  expected: Record<string, string | number>;
  expected_swhid: string;
  manifest_hex: string;
}
const vectors = (JSON.parse(vectorsText) as { vectors: Vector[] }).vectors;
const utf8 = (s: string) => new TextEncoder().encode(s);
const SWHID_TYPE = {
  content: "cnt",
  directory: "dir",
  revision: "rev",
  release: "rel",
  snapshot: "snp",
  origin: "ori",
} as const;

const dateOf = (d: { seconds: number; microseconds: number; offset_bytes: string }): Timestamp => ({
  seconds: d.seconds,
  microseconds: d.microseconds,
  offsetBytes: d.offset_bytes,
});

function revisionFields(input: Answer) {
  return {
    directory: input.directory,
    parents: input.parents,
    author: personOf(input.author.fullname),
    date: dateOf(input.date),
    committer: personOf(input.committer.fullname),
    committerDate: dateOf(input.committer_date),
    message: input.message,
    extraHeaders: input.extra_headers,
  };
}

function releaseFields(input: Answer) {
  return {
    name: input.name,
    target: input.target,
    targetType: input.target_type as ReleaseTargetType,
    author: input.author ? personOf(input.author.fullname) : null,
    date: input.date ? dateOf(input.date) : null,
    message: input.message,
  };
}

function branchesOf(
  input: Record<string, { target: string; target_type: BranchTargetType } | null>,
): Record<string, Branch> {
  return Object.fromEntries(
    Object.entries(input).map(([k, b]) => [k, b ? { target: b.target, targetType: b.target_type } : null]),
  );
}

/** The vector's object as `{ id, hashed }`: the id we compute and the full bytes we hash for it. */
async function compute(v: Vector): Promise<{ id: string; hashed: Uint8Array; extra?: Record<string, unknown> }> {
  switch (v.type) {
    case "content": {
      const data = utf8(v.input.data);
      const hashes = await contentHashes(data);
      return { id: hashes.sha1_git, hashed: concat([objectHeader("blob", data.length), data]), extra: { ...hashes } };
    }
    case "directory": {
      const entries: DirectoryEntry[] = v.input.entries.map((e: Answer) => ({
        name: utf8(e.name),
        type: e.type as EntryType,
        target: e.target,
        perms: e.perms,
      }));
      const body = directoryManifest(entries);
      return { id: directoryId(entries), hashed: concat([objectHeader("tree", body.length), body]) };
    }
    case "revision": {
      const body = revisionManifest(revisionFields(v.input));
      return { id: revisionId(revisionFields(v.input)), hashed: concat([objectHeader("commit", body.length), body]) };
    }
    case "release": {
      const body = releaseManifest(releaseFields(v.input));
      return { id: releaseId(releaseFields(v.input)), hashed: concat([objectHeader("tag", body.length), body]) };
    }
    case "snapshot": {
      const body = snapshotManifest(branchesOf(v.input.branches));
      return {
        id: snapshotId(branchesOf(v.input.branches)),
        hashed: concat([objectHeader("snapshot", body.length), body]),
      };
    }
    case "origin":
      return { id: originId(v.input.url), hashed: utf8(v.input.url) };
  }
}

describe("SWH test vectors", () => {
  it("has vectors of every object type", () => {
    expect(new Set(vectors.map((v) => v.type))).toEqual(
      new Set(["content", "directory", "revision", "release", "snapshot", "origin"]),
    );
  });

  for (const v of vectors) {
    it(`${v.name}: manifest, id and SWHID`, async () => {
      const { id, hashed, extra } = await compute(v);
      expect(toHex(hashed)).toBe(v.manifest_hex);
      expect(id).toBe(v.type === "content" ? v.expected.sha1_git : v.expected.id);
      if (extra) for (const [k, want] of Object.entries(v.expected)) expect(extra[k], k).toBe(want);
      const swhid = formatCore({ type: SWHID_TYPE[v.type], id });
      expect(swhid).toBe(v.expected_swhid);
      expect(parseSwhid(swhid)).toEqual({ type: SWHID_TYPE[v.type], id, qualifiers: {} });
    });
  }

  for (const v of vectors.filter((v) => v.type === "revision" || v.type === "release")) {
    it(`${v.name}: the manifest parses back to the vector's fields, with no raw manifest needed`, () => {
      const whole = fromHex(v.manifest_hex);
      const body = whole.subarray(whole.indexOf(0) + 1);
      if (v.type === "revision") {
        const r = revisionFromCommit(v.expected.id as string, body);
        expect(r.rawManifest).toBeNull();
        expect({ ...revisionFields(v.input) }).toEqual({
          directory: r.directory,
          parents: r.parents,
          author: r.author,
          date: r.date,
          committer: r.committer,
          committerDate: r.committerDate,
          message: r.message,
          extraHeaders: r.extraHeaders,
        });
      } else {
        const r = releaseFromTag(v.expected.id as string, body);
        expect(r.rawManifest).toBeNull();
        expect(releaseFields(v.input)).toEqual({
          name: r.name,
          target: r.target,
          targetType: r.targetType,
          author: r.author,
          date: r.date,
          message: r.message,
        });
      }
    });
  }

  it("directory entries parse back from the manifest in git's order (order/ between order. and order0)", () => {
    const v = vectors.find((v) => v.name === "directory_example")!;
    const whole = fromHex(v.manifest_hex);
    const names = parseDirectory(whole.subarray(whole.indexOf(0) + 1)).map((e) => new TextDecoder().decode(e.name));
    const at = (n: string) => names.indexOf(n);
    expect(names).toHaveLength(v.input.entries.length);
    expect(at("order.")).toBeLessThan(at("order"));
    expect(at("order")).toBeLessThan(at("order0"));
  });

  it("streamed content checksums equal the one-shot ones", async () => {
    const data = utf8("1984\n".repeat(10_000));
    const streamed = new ContentHasher(data.length);
    for (let i = 0; i < data.length; i += 777) streamed.update(data.subarray(i, i + 777));
    expect(streamed.digest()).toEqual(await contentHashes(data));
    expect(() => new ContentHasher(3).update(utf8("abcd"))).toThrow(/longer/);
  });

  it("hashes a 3 MiB content in 1 MiB chunks as in one go, and as WebCrypto does", async () => {
    const data = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => (i * 2654435761) >>> 24);
    const streamed = new ContentHasher(data.length);
    for (let i = 0; i < data.length; i += 1 << 20) streamed.update(data.subarray(i, i + (1 << 20)));
    const whole = await contentHashes(data);
    expect(whole).toEqual(streamed.digest());
    expect(whole.sha1).toBe(toHex(await crypto.subtle.digest("SHA-1", data)));
    expect(whole.sha256).toBe(toHex(await crypto.subtle.digest("SHA-256", data)));
    expect(whole.sha1_git).toBe(
      toHex(await crypto.subtle.digest("SHA-1", concat([objectHeader("blob", data.length), data]))),
    );
  });
});

describe("BLAKE2s-256", () => {
  it('gives RFC 7693\'s digest of "abc"', () => {
    expect(toHex(blake2s256(utf8("abc")))).toBe("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  });

  it("agrees with @noble/hashes at every block boundary, one-shot and streamed in odd chunks", () => {
    const data = Uint8Array.from({ length: 1100 }, (_, i) => (i * 131 + 7) & 0xff);
    for (const n of [0, 1, 63, 64, 65, 127, 128, 129, 192, 1000, 1100]) {
      const want = toHex(nobleBlake2s(data.subarray(0, n)));
      expect(toHex(blake2s256(data.subarray(0, n))), `${n} bytes`).toBe(want);
      for (const step of [1, 7, 64, 65]) {
        const h = new Blake2s();
        for (let i = 0; i < n; i += step) h.update(data.subarray(i, Math.min(n, i + step)));
        expect(toHex(h.digest()), `${n} bytes in ${step}-byte chunks`).toBe(want);
      }
    }
  });
});

describe("git → SWH conversion keeps what does not re-serialize", () => {
  it("a commit with an odd timezone and a non-UTF-8 message keeps its raw manifest, and the id still verifies", () => {
    const body = concat([
      utf8(
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A U Thor <a@example.org> 1700000000 +0530\ncommitter A U Thor <a@example.org> 1700000000 +0530\n\n",
      ),
      new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]), // "café\n" in Latin-1
    ]);
    const id = gitObjectId("commit", body);
    const r = revisionFromCommit(id, body);
    expect(r.date.offsetBytes).toBe("+0530");
    expect(r.rawManifest).toEqual(body);
    expect(gitObjectId("commit", r.rawManifest!)).toBe(id);
  });

  it("a commit with gpgsig and mergetag headers round-trips through its fields", () => {
    const text =
      "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0000000000000000000000000000000000000001\n" +
      "author X <x@y> 1 -0000\ncommitter X <x@y> 2 +0000\nmergetag object 0000000000000000000000000000000000000002\n type commit\n tag v1\n \n merged tag\n" +
      "gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nmsg\n";
    const body = utf8(text);
    const id = gitObjectId("commit", body);
    const r = revisionFromCommit(id, body);
    expect(r.rawManifest).toBeNull();
    expect(r.extraHeaders.map(([k]) => k)).toEqual(["mergetag", "gpgsig"]);
    expect(r.extraHeaders[1]![1]).toBe("-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----");
    expect(r.date).toEqual({ seconds: 1, microseconds: 0, offsetBytes: "-0000" });
  });

  it("a tag without a tagger, pointing to a tree, is a release with no author", () => {
    const body = utf8("object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype tree\ntag t\n\nnote\n");
    const r = releaseFromTag(gitObjectId("tag", body), body);
    expect(r).toMatchObject({
      targetType: "directory",
      author: null,
      date: null,
      message: "note\n",
      rawManifest: null,
    });
  });

  it("refuses commits and tags without their required headers", () => {
    expect(() => revisionFromCommit("0".repeat(40), utf8("author x\n\nm"))).toThrow(/tree/);
    expect(() => releaseFromTag("0".repeat(40), utf8("object zz\ntype commit\n"))).toThrow(/object\/type/);
    expect(() => parseDirectory(utf8("100644 name-without-nul"))).toThrow(/malformed/);
  });
});

describe("SWHID grammar", () => {
  const cnt = "swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2";
  const rev = "swh:1:rev:309cf2674ee7a0749978cf8265ab91a60aea0f7d";
  const snp = "swh:1:snp:1a8893e6a86f444e8be8e7bda6cb34fb1735a00e";

  it("parses every qualifier and formats them back in canonical order", () => {
    const text = `${cnt};origin=https://github.com/example/a%3Bb;visit=${snp};anchor=${rev};path=/docs/read%20me.md;lines=9-15`;
    const s = parseSwhid(text);
    expect(s.type).toBe("cnt");
    expect(s.qualifiers.origin).toBe("https://github.com/example/a;b");
    expect(s.qualifiers.visit).toEqual(parseCore(snp));
    expect(s.qualifiers.anchor).toEqual(parseCore(rev));
    expect(new TextDecoder().decode(s.qualifiers.path)).toBe("/docs/read me.md");
    expect(s.qualifiers.lines).toEqual({ start: 9, end: 15 });
    expect(formatSwhid(s)).toBe(text);
    const shuffled = `${cnt};lines=3;path=/a;anchor=${rev}`;
    expect(formatSwhid(parseSwhid(shuffled))).toBe(`${cnt};anchor=${rev};path=/a;lines=3`);
  });

  it("keeps non-UTF-8 path bytes through a round trip", () => {
    const s = parseSwhid(`${cnt};path=/caf%E9`);
    expect([...s.qualifiers.path!]).toEqual([0x2f, 0x63, 0x61, 0x66, 0xe9]);
    expect(formatSwhid(s)).toBe(`${cnt};path=/caf%E9`);
  });

  const bad: [string, RegExp][] = [
    ["", /not a SWHID/],
    ["swh:1:cnt", /not a SWHID/],
    ["swh:2:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2", /version/],
    ["sw:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2", /start with/],
    ["swh:1:foo:94a9ed024d3859793618152ea559a168bbcbb5e2", /type "foo"/],
    ["swh:1:cnt:94A9ED024D3859793618152EA559A168BBCBB5E2", /lowercase/],
    ["swh:1:cnt:94a9ed02", /40 lowercase/],
    ["swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2z", /40 lowercase/],
    [`${cnt};color=red`, /unknown/],
    [`${cnt};lines=0`, /lines/],
    [`${cnt};lines=5-2`, /ends before/],
    [`${cnt};lines=a`, /lines/],
    [`${cnt};path=relative`, /absolute/],
    [`${cnt};path=/a%zz`, /percent/],
    [`${cnt};visit=${rev}`, /snapshot/],
    [`${cnt};anchor=${cnt}`, /anchor/],
    [`${cnt};anchor=swh:1:rev:xyz`, /anchor: SWHID object id/],
    [`${cnt};origin=`, /empty/],
    [`${cnt};origin=not a url`, /not a URL/],
    [`${cnt};lines=1;lines=2`, /twice/],
    [`${cnt};lines`, /key=value/],
    [`swh:1:ori:b63a575fe3faab7692c9f38fb09d4bb45651bb0f;lines=1`, /no qualifiers/],
  ];
  for (const [text, message] of bad)
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(() => parseSwhid(text)).toThrow(SwhidError);
      expect(() => parseSwhid(text)).toThrow(message);
    });
});
