// From git objects (type, id, body bytes, as the pack reader yields them) to the archive's model, the way
// Software Heritage's git loader converts them: keeping raw timezone bytes, extra headers in order, and the
// raw manifest whenever the parsed fields do not re-serialize to the object's own id.

import { contentHashes } from "./hashes";
import { parseDirectory, releaseId, revisionId } from "./manifest";
import type { Content, Directory, Hex, Person, Release, ReleaseTargetType, Revision, Timestamp } from "./model";

const lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Default size over which a content is kept as a skipped content (hashes, no bytes). */
export const DEFAULT_CONTENT_SIZE_LIMIT = 100 * 1024 * 1024;

/**
 * A blob as a content; over `sizeLimit` bytes, a skipped content with its hashes and a reason. `sha1Git`, when
 * the pack reader already computed it, is not hashed again.
 */
export async function contentFromBlob(
  data: Uint8Array,
  sizeLimit = DEFAULT_CONTENT_SIZE_LIMIT,
  sha1Git?: string,
): Promise<Content> {
  const hashes = await contentHashes(data, sha1Git);
  if (data.length > sizeLimit)
    return { ...hashes, reason: `content too large: ${data.length} bytes, limit ${sizeLimit}` };
  return { ...hashes, data };
}

/** A tree as a directory: kept byte for byte; throws when the tree is malformed. */
export function directoryFromTree(id: Hex, data: Uint8Array): Directory {
  parseDirectory(data);
  return { id, raw: data };
}

export function personOf(fullname: string): Person {
  const open = fullname.indexOf("<");
  const close = fullname.lastIndexOf(">");
  if (open < 0 || close < open) return { fullname, name: fullname.trim() || null, email: null };
  return { fullname, name: fullname.slice(0, open).trim() || null, email: fullname.slice(open + 1, close) };
}

/** `Name <email> 1436739030 -0700` → person and timestamp; null when it has no parsable date. */
function personAndDate(value: string): { person: Person; date: Timestamp } | null {
  const m = /^(.*) (-?\d+) (\S+)$/s.exec(value);
  if (!m) return null;
  const seconds = Number(m[2]);
  if (!Number.isSafeInteger(seconds)) return null;
  return { person: personOf(m[1]!), date: { seconds, microseconds: 0, offsetBytes: m[3]! } };
}

interface Parsed {
  headers: [string, string][];
  message: string | null;
}

/** Headers (continuation lines folded back into their value) and the message after the first blank line. */
function parseHeaders(text: string): Parsed {
  const headers: [string, string][] = [];
  let at = 0;
  while (at < text.length) {
    if (text[at] === "\n") return { headers, message: text.slice(at + 1) };
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end);
    if (line.startsWith(" ") && headers.length) headers[headers.length - 1]![1] += "\n" + line.slice(1);
    else {
      const space = line.indexOf(" ");
      headers.push(space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)]);
    }
    at = end + 1;
  }
  return { headers, message: null };
}

const EPOCH: Timestamp = { seconds: 0, microseconds: 0, offsetBytes: "+0000" };
const NOBODY: Person = { fullname: "", name: null, email: null };

/** A commit as a revision; `rawManifest` is set when the fields alone would not give back `id`. */
export function revisionFromCommit(id: Hex, data: Uint8Array): Revision {
  const { headers, message } = parseHeaders(lenient.decode(data));
  let directory = "";
  const parents: string[] = [];
  let author: ReturnType<typeof personAndDate> = null;
  let committer: ReturnType<typeof personAndDate> = null;
  const extraHeaders: [string, string][] = [];
  let i = 0;
  if (headers[i]?.[0] === "tree") directory = headers[i++]![1];
  while (headers[i]?.[0] === "parent") parents.push(headers[i++]![1]);
  if (headers[i]?.[0] === "author") author = personAndDate(headers[i++]![1]);
  if (headers[i]?.[0] === "committer") committer = personAndDate(headers[i++]![1]);
  for (; i < headers.length; i++) extraHeaders.push(headers[i]!);
  const encoding = extraHeaders.find(([k]) => k === "encoding")?.[1];
  if (!/^[0-9a-f]{40}$/.test(directory)) throw new Error(`commit ${id} has no valid tree header`);
  for (const p of parents)
    if (!/^[0-9a-f]{40}$/.test(p)) throw new Error(`commit ${id} has a malformed parent "${p.slice(0, 50)}"`);
  const revision: Revision = {
    id,
    directory,
    parents,
    author: author?.person ?? NOBODY,
    date: author?.date ?? EPOCH,
    committer: committer?.person ?? NOBODY,
    committerDate: committer?.date ?? EPOCH,
    message: message === null ? null : (messageText(data, encoding) ?? message),
    type: "git",
    synthetic: false,
    extraHeaders,
    rawManifest: null,
  };
  if (revisionId(revision) !== id) revision.rawManifest = data;
  return revision;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The message as git log would show it: UTF-8 when it is, else decoded with the commit's `encoding` header
 * (e.g. ISO-8859-1) when the runtime knows it; null leaves the lenient decoding. The raw manifest keeps the bytes.
 */
function messageText(data: Uint8Array, encoding: string | undefined): string | null {
  let at = -1;
  for (let i = 0; i + 1 < data.length; i++)
    if (data[i] === 0x0a && data[i + 1] === 0x0a) {
      at = i + 2;
      break;
    }
  if (at < 0) return null;
  const bytes = data.subarray(at);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    if (!encoding) return null;
    try {
      return new TextDecoder(encoding.trim(), { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return null;
    }
  }
}

const TARGET_TYPE_OF_GIT: Record<string, ReleaseTargetType> = {
  commit: "revision",
  tree: "directory",
  blob: "content",
  tag: "release",
};

/** An annotated tag as a release; `rawManifest` is set when the fields alone would not give back `id`. */
export function releaseFromTag(id: Hex, data: Uint8Array): Release {
  const { headers, message } = parseHeaders(lenient.decode(data));
  const get = (key: string) => headers.find(([k]) => k === key)?.[1];
  const target = get("object") ?? "";
  const targetType = TARGET_TYPE_OF_GIT[get("type") ?? ""];
  if (!/^[0-9a-f]{40}$/.test(target) || !targetType) throw new Error(`tag ${id} has no valid object/type headers`);
  const tagger = get("tagger");
  const who = tagger === undefined ? null : personAndDate(tagger);
  const release: Release = {
    id,
    name: get("tag") ?? "",
    target,
    targetType,
    author: who?.person ?? null,
    date: who?.date ?? null,
    message,
    synthetic: false,
    rawManifest: null,
  };
  if (releaseId(release) !== id) release.rawManifest = data;
  return release;
}
