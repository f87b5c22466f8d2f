// Git objects as plain data: ids, and commit/tag/tree parsing that keeps raw bytes where git allows any.

import { decoder, encoder, fromHex, latin1, toHex } from "./bytes";
import { gitStrong } from "./errors";
import { objectId } from "./sha1";

export type ObjectType = "commit" | "tree" | "blob" | "tag";

export const OBJECT_TYPES: readonly ObjectType[] = ["commit", "tree", "blob", "tag"];

/** The git (SHA-1) id of `<type> <len>\0<data>`. */
export async function hashObject(type: ObjectType, data: Uint8Array): Promise<string> {
  if (!OBJECT_TYPES.includes(type)) throw new Error(`hashObject: bad object type ${JSON.stringify(type)}`);
  return objectId(type, data);
}

/** A header line of a commit or tag, continuation lines joined with "\n" (the leading space removed). */
export interface GitHeader {
  name: string;
  value: Uint8Array;
}

/** An author, committer or tagger line. `name`/`email` are decoded for display; `raw` is the exact value. */
export interface Person {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  time: number;
  /** The timezone exactly as written, e.g. "+0200" (git accepts odd values; they are kept). */
  tz: string;
  raw: Uint8Array;
}

export interface Commit {
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
  /** The `encoding` header, when the message is not UTF-8. */
  encoding?: string;
  /** Every other header in order: gpgsig, gpgsig-sha256, mergetag, and unknown ones. */
  extra: GitHeader[];
  /** The message bytes, exactly. */
  message: Uint8Array;
  /** The message decoded as UTF-8 (lossy), for display. */
  text: string;
}

export interface Tag {
  object: string;
  type: ObjectType;
  tag: string;
  tagger?: Person;
  extra: GitHeader[];
  /** The message bytes, exactly (a PGP signature, if any, is at its end, as git stores it). */
  message: Uint8Array;
  text: string;
}

export interface TreeEntry {
  /** Octal mode as written: 100644, 100755 (executable), 120000 (symlink), 40000 (tree), 160000 (gitlink). */
  mode: string;
  /** Decoded as UTF-8 (lossy) for display; `path` bytes are exact. */
  name: string;
  path: Uint8Array;
  oid: string;
  /** What the entry points to: a gitlink (submodule) points to a commit. */
  type: "blob" | "tree" | "commit";
}

/** Splits a commit or tag into its headers and message. */
function splitHeaders(data: Uint8Array, what: string): { headers: GitHeader[]; message: Uint8Array } {
  const headers: GitHeader[] = [];
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0x0a) return { headers, message: data.subarray(i + 1) };
    let end = data.indexOf(0x0a, i);
    if (end < 0) end = data.length;
    const line = data.subarray(i, end);
    if (line[0] === 0x20) {
      const last = headers[headers.length - 1];
      if (!last) throw gitStrong("bad_object", `${what}: continuation line before any header`);
      const joined = new Uint8Array(last.value.length + line.length);
      joined.set(last.value, 0);
      joined[last.value.length] = 0x0a;
      joined.set(line.subarray(1), last.value.length + 1);
      last.value = joined;
    } else {
      const sp = line.indexOf(0x20);
      if (sp <= 0)
        throw gitStrong(
          "bad_object",
          `${what}: bad header line ${JSON.stringify(latin1.decode(line.subarray(0, 60)))}`,
        );
      headers.push({ name: latin1.decode(line.subarray(0, sp)), value: line.slice(sp + 1) });
    }
    i = end + 1;
  }
  return { headers, message: new Uint8Array(0) };
}

export function parsePerson(raw: Uint8Array): Person {
  const s = latin1.decode(raw);
  const lt = s.indexOf("<");
  const gt = s.lastIndexOf(">");
  const rest =
    gt >= 0
      ? s
          .slice(gt + 1)
          .trim()
          .split(" ")
      : [];
  const bytes = (a: number, b: number) => decoder.decode(raw.subarray(a, b));
  return {
    name: lt >= 0 ? bytes(0, lt).trim() : "",
    email: lt >= 0 && gt > lt ? bytes(lt + 1, gt) : "",
    time: Number(rest[0] ?? 0) || 0,
    tz: rest[1] ?? "",
    raw,
  };
}

function oidHeader(h: GitHeader, what: string): string {
  const v = latin1.decode(h.value);
  if (!/^[0-9a-f]{40}$/.test(v)) throw gitStrong("bad_object", `${what}: bad ${h.name} id`);
  return v;
}

export function parseCommit(data: Uint8Array): Commit {
  const { headers, message } = splitHeaders(data, "commit");
  let tree: string | undefined;
  const parents: string[] = [];
  let author: Person | undefined;
  let committer: Person | undefined;
  let encoding: string | undefined;
  const extra: GitHeader[] = [];
  for (const h of headers) {
    if (h.name === "tree" && tree === undefined) tree = oidHeader(h, "commit");
    else if (h.name === "parent") parents.push(oidHeader(h, "commit"));
    else if (h.name === "author" && !author) author = parsePerson(h.value);
    else if (h.name === "committer" && !committer) committer = parsePerson(h.value);
    else if (h.name === "encoding" && encoding === undefined) encoding = latin1.decode(h.value);
    else extra.push(h);
  }
  if (!tree || !author || !committer) throw gitStrong("bad_object", "commit: missing tree, author or committer");
  return { tree, parents, author, committer, encoding, extra, message, text: decoder.decode(message) };
}

export function parseTag(data: Uint8Array): Tag {
  const { headers, message } = splitHeaders(data, "tag");
  let object: string | undefined;
  let type: ObjectType | undefined;
  let tag: string | undefined;
  let tagger: Person | undefined;
  const extra: GitHeader[] = [];
  for (const h of headers) {
    if (h.name === "object" && object === undefined) object = oidHeader(h, "tag");
    else if (h.name === "type" && type === undefined) {
      const t = latin1.decode(h.value);
      if (!OBJECT_TYPES.includes(t as ObjectType)) throw gitStrong("bad_object", `tag: bad type ${JSON.stringify(t)}`);
      type = t as ObjectType;
    } else if (h.name === "tag" && tag === undefined) tag = decoder.decode(h.value);
    else if (h.name === "tagger" && !tagger) tagger = parsePerson(h.value);
    else extra.push(h);
  }
  if (!object || !type || tag === undefined) throw gitStrong("bad_object", "tag: missing object, type or tag");
  return { object, type, tag, tagger, extra, message, text: decoder.decode(message) };
}

export function parseTree(data: Uint8Array): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) throw gitStrong("bad_object", `tree: bad entry at byte ${i}`);
    const mode = latin1.decode(data.subarray(i, sp));
    if (!/^[0-7]{5,6}$/.test(mode)) throw gitStrong("bad_object", `tree: bad mode ${JSON.stringify(mode)}`);
    const path = data.slice(sp + 1, nul);
    const m = parseInt(mode, 8);
    const type = (m & 0o170000) === 0o040000 ? "tree" : (m & 0o170000) === 0o160000 ? "commit" : "blob";
    entries.push({ mode, name: decoder.decode(path), path, oid: toHex(data.subarray(nul + 1, nul + 21)), type });
    i = nul + 21;
  }
  return entries;
}

/** Encodes tree entries (already in git's order) back into a tree object. */
export function serializeTree(entries: { mode: string; path: Uint8Array | string; oid: string }[]): Uint8Array {
  const parts: number[] = [];
  for (const e of entries) {
    const head = encoder.encode(`${e.mode} `);
    const path = typeof e.path === "string" ? encoder.encode(e.path) : e.path;
    for (const b of head) parts.push(b);
    for (const b of path) parts.push(b);
    parts.push(0);
    for (const b of fromHex(e.oid)) parts.push(b);
  }
  return new Uint8Array(parts);
}
