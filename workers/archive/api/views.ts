// JSON shapes of the read API, with Software Heritage Web API v1 field names and absolute URLs.

import type { Branch, DirectoryEntry, Person, Release, Revision, StoredContent, Timestamp, Visit } from "../model";

/** Builds absolute API URLs from the request's own origin (`https://host/api/1`). */
export class Urls {
  constructor(readonly base: string) {}
  static of(requestUrl: string): Urls {
    return new Urls(`${new URL(requestUrl).origin}/api/1`);
  }
  origin = (url: string) => `${this.base}/origin/${url}/get/`;
  visits = (url: string) => `${this.base}/origin/${url}/visits/`;
  visit = (url: string, n: number) => `${this.base}/origin/${url}/visit/${n}/`;
  snapshot = (id: string) => `${this.base}/snapshot/${id}/`;
  revision = (id: string) => `${this.base}/revision/${id}/`;
  revisionLog = (id: string) => `${this.base}/revision/${id}/log/`;
  release = (id: string) => `${this.base}/release/${id}/`;
  directory = (id: string) => `${this.base}/directory/${id}/`;
  content = (sha1Git: string) => `${this.base}/content/sha1_git:${sha1Git}/`;
  contentRaw = (sha1Git: string) => `${this.base}/content/sha1_git:${sha1Git}/raw/`;
  /** Where an object of a snapshot/release target type is read. */
  target(type: string, id: string): string | null {
    switch (type) {
      case "content":
      case "file":
        return this.content(id);
      case "directory":
      case "dir":
        return this.directory(id);
      case "revision":
      case "rev":
        return this.revision(id);
      case "release":
        return this.release(id);
      case "snapshot":
        return this.snapshot(id);
      default:
        return null;
    }
  }
}

/**
 * ISO 8601 with the offset the author's clock had; an offset git could not make sense of counts as UTC.
 * Null for a date no calendar can write (git accepts any number of seconds; the raw bytes keep it whole).
 */
export function isoDate(t: Timestamp): string | null {
  const m = /^([+-])(\d\d)(\d\d)$/.exec(t.offsetBytes);
  const minutes = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const at = new Date((t.seconds + minutes * 60) * 1000);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 0 || at.getUTCFullYear() > 9999) return null;
  const local = at.toISOString().slice(0, 19);
  const fraction = t.microseconds ? "." + String(t.microseconds).padStart(6, "0") : "";
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${local}${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** A UTC instant (ms) as SWH writes visit dates: `2026-12-02T03:40:00.123000+00:00`. */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

/**
 * Bytes as SWH shows them (swh.core's decode_with_escape): backslashes doubled, NUL and bytes that are not
 * UTF-8 written as `\xNN`, so every name stays readable and distinct.
 */
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeWithEscape(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const size =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    const chunk = size ? bytes.subarray(i, i + size) : null;
    let text: string | null = null;
    if (chunk && chunk.length === size) {
      try {
        text = strict.decode(chunk);
      } catch {
        text = null;
      }
    }
    if (text === null || b === 0) {
      out += "\\x" + b.toString(16).padStart(2, "0");
      i += 1;
    } else {
      out += text === "\\" ? "\\\\" : text;
      i += size;
    }
  }
  return out;
}

const person = (p: Person) => ({ fullname: p.fullname, name: p.name, email: p.email });

export function revisionView(r: Revision, urls: Urls) {
  return {
    id: r.id,
    url: urls.revision(r.id),
    author: person(r.author),
    committer: person(r.committer),
    date: isoDate(r.date),
    committer_date: isoDate(r.committerDate),
    type: r.type,
    directory: r.directory,
    directory_url: urls.directory(r.directory),
    message: r.message,
    synthetic: r.synthetic,
    metadata: {},
    parents: r.parents.map((id) => ({ id, url: urls.revision(id) })),
    merge: r.parents.length > 1,
    extra_headers: r.extraHeaders,
    history_url: urls.revisionLog(r.id),
  };
}

export function releaseView(r: Release, urls: Urls) {
  return {
    id: r.id,
    url: urls.release(r.id),
    name: r.name,
    message: r.message,
    target: r.target,
    target_type: r.targetType,
    target_url: urls.target(r.targetType, r.target),
    author: r.author ? person(r.author) : null,
    date: r.date ? isoDate(r.date) : null,
    synthetic: r.synthetic,
  };
}

export function contentView(c: StoredContent, urls: Urls) {
  return {
    checksums: { sha1: c.sha1, sha1_git: c.sha1_git, sha256: c.sha256, blake2s256: c.blake2s256 },
    length: c.length,
    status: c.status,
    reason: c.reason ?? undefined,
    data_url: urls.contentRaw(c.sha1_git),
  };
}

/** One directory entry; `name` is the entry's name, or its whole path when found by path. */
export function entryView(
  dirId: string,
  e: DirectoryEntry,
  name: Uint8Array,
  content: StoredContent | undefined,
  urls: Urls,
) {
  return {
    dir_id: dirId,
    type: e.type,
    target: e.target,
    target_url: e.type === "rev" ? null : urls.target(e.type, e.target),
    name: decodeWithEscape(name),
    perms: e.perms,
    length: e.type === "file" ? (content?.length ?? null) : null,
    status: e.type === "file" ? (content?.status ?? "absent") : undefined,
    checksums: e.type === "file" && content ? contentView(content, urls).checksums : undefined,
  };
}

export function visitView(v: Visit, urls: Urls) {
  return {
    origin: v.origin,
    visit: v.visit,
    date: isoInstant(v.date),
    status: v.status,
    snapshot: v.snapshot,
    type: v.type,
    metadata: {},
    origin_visit_url: urls.visit(v.origin, v.visit),
    snapshot_url: v.snapshot ? urls.snapshot(v.snapshot) : null,
    error: v.error ?? undefined,
  };
}

/** A snapshot branch; an alias's URL is where the branch it names leads, if that branch is in `page`. */
export function branchView(branch: Branch, resolve: (name: string) => Branch | undefined, urls: Urls) {
  if (!branch) return null;
  if (branch.targetType !== "alias")
    return {
      target: branch.target,
      target_type: branch.targetType,
      target_url: urls.target(branch.targetType, branch.target),
    };
  let seen = 0;
  let end: Branch | undefined = branch;
  while (end && end.targetType === "alias" && seen++ < 10) end = resolve(end.target);
  return {
    target: branch.target,
    target_type: "alias",
    target_url: end && end.targetType !== "alias" ? urls.target(end.targetType, end.target) : null,
  };
}
