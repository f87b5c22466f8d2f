// Software Heritage manifests: the exact bytes each object id is the hash of. Directories, revisions and
// releases serialize like git's tree, commit and tag; snapshots use SWH's own manifest (type `snapshot`).

import { concat, fromHex, toHex } from "../core/bytes";
import { objectId } from "../git/sha1";
import type {
  Branch,
  DirectoryEntry,
  EntryType,
  Hex,
  Person,
  Release,
  ReleaseTargetType,
  Revision,
  Timestamp,
} from "./model";

const encoder = new TextEncoder();

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// --- directories -------------------------------------------------------------------------------

export function entryTypeOfMode(perms: number): EntryType {
  if (perms === 0o040000) return "dir";
  if (perms === 0o160000) return "rev";
  return "file";
}

/** git's tree order: names compared as bytes, a directory's name as if it ended with `/`. */
function sortKey(e: DirectoryEntry): Uint8Array {
  return e.type === "dir" ? concat([e.name, SLASH]) : e.name;
}
const SLASH = new Uint8Array([0x2f]);

/** The tree body of `entries` (any order in, git's order out). */
export function directoryManifest(entries: DirectoryEntry[]): Uint8Array {
  const sorted = entries.map((e) => ({ e, key: sortKey(e) })).sort((a, b) => compareBytes(a.key, b.key));
  return concat(
    sorted.flatMap(({ e }) => [
      encoder.encode(`${e.perms.toString(8)} `),
      e.name,
      new Uint8Array([0]),
      fromHex(e.target),
    ]),
  );
}

/** The entries of a tree body, in stored order; throws on a malformed tree. */
export function parseDirectory(raw: Uint8Array): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  let at = 0;
  while (at < raw.length) {
    const space = raw.indexOf(0x20, at);
    const nul = space < 0 ? -1 : raw.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > raw.length) throw new Error(`malformed tree entry at byte ${at}`);
    const mode = new TextDecoder().decode(raw.subarray(at, space));
    if (!/^[0-7]{1,7}$/.test(mode)) throw new Error(`malformed tree mode "${mode}" at byte ${at}`);
    const perms = parseInt(mode, 8);
    entries.push({
      perms,
      type: entryTypeOfMode(perms),
      name: raw.slice(space + 1, nul),
      target: toHex(raw.subarray(nul + 1, nul + 21)),
    });
    at = nul + 21;
  }
  return entries;
}

export function directoryId(entries: DirectoryEntry[]): Hex {
  return objectId("tree", directoryManifest(entries));
}

// --- revisions and releases ----------------------------------------------------------------------

/** `<seconds>[.<microseconds, trailing zeros cut>] <offset bytes>`, as SWH formats dates. */
export function formatTimestamp(t: Timestamp): string {
  const seconds = t.microseconds
    ? `${t.seconds}.${String(t.microseconds).padStart(6, "0")}`.replace(/0+$/, "")
    : `${t.seconds}`;
  return `${seconds} ${t.offsetBytes}`;
}

function personLine(key: string, who: Person, when: Timestamp): string {
  return `${key} ${who.fullname} ${formatTimestamp(when)}\n`;
}

function headerLine(key: string, value: string): string {
  return `${key} ${value.replace(/\n/g, "\n ")}\n`;
}

type RevisionFields = Omit<Revision, "id" | "rawManifest" | "type" | "synthetic">;

export function revisionManifest(r: RevisionFields): Uint8Array {
  let text = `tree ${r.directory}\n`;
  for (const p of r.parents) text += `parent ${p}\n`;
  text += personLine("author", r.author, r.date);
  text += personLine("committer", r.committer, r.committerDate);
  for (const [k, v] of r.extraHeaders) text += headerLine(k, v);
  if (r.message !== null) text += `\n${r.message}`;
  return encoder.encode(text);
}

export function revisionId(r: RevisionFields): Hex {
  return objectId("commit", revisionManifest(r));
}

const GIT_TYPE_OF_TARGET: Record<ReleaseTargetType, string> = {
  revision: "commit",
  directory: "tree",
  content: "blob",
  release: "tag",
};

type ReleaseFields = Omit<Release, "id" | "rawManifest" | "synthetic">;

export function releaseManifest(r: ReleaseFields): Uint8Array {
  let text = `object ${r.target}\ntype ${GIT_TYPE_OF_TARGET[r.targetType]}\ntag ${r.name}\n`;
  if (r.author && r.date) text += personLine("tagger", r.author, r.date);
  if (r.message !== null) text += `\n${r.message}`;
  return encoder.encode(text);
}

export function releaseId(r: ReleaseFields): Hex {
  return objectId("tag", releaseManifest(r));
}

// --- snapshots -----------------------------------------------------------------------------------

/**
 * SWH's snapshot manifest: branches sorted by raw name bytes, each `<target type> <name>\0<length>:<target>`,
 * the target as 20 raw bytes (an alias: the target branch's name; a dangling branch: type `dangling`, empty).
 */
export function snapshotManifest(branches: Record<string, Branch>): Uint8Array {
  const named = Object.entries(branches).map(([name, branch]) => ({ name: encoder.encode(name), branch }));
  named.sort((a, b) => compareBytes(a.name, b.name));
  const parts: Uint8Array[] = [];
  for (const { name, branch } of named) {
    const type = branch ? branch.targetType : "dangling";
    const target = !branch
      ? new Uint8Array(0)
      : branch.targetType === "alias"
        ? encoder.encode(branch.target)
        : fromHex(branch.target);
    parts.push(encoder.encode(`${type} `), name, encoder.encode(`\0${target.length}:`), target);
  }
  return concat(parts);
}

export function snapshotId(branches: Record<string, Branch>): Hex {
  return objectId("snapshot", snapshotManifest(branches));
}
