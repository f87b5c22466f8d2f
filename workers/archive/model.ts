// The archive's objects as plain data, in Software Heritage's terms: origin, visit, content, directory,
// revision, release, snapshot. Ids are 40-char lowercase hex (sha1_git for cnt/dir/rev/rel, SWH manifest for snp).

export type Hex = string;

export const VISIT_STATUSES = ["created", "ongoing", "full", "partial", "failed", "not_found"] as const;
export type VisitStatus = (typeof VISIT_STATUSES)[number];
export const FINAL_VISIT_STATUSES: readonly VisitStatus[] = ["full", "partial", "failed", "not_found"];

export interface Origin {
  /** sha1 of the URL's UTF-8 bytes (SWH's origin id, `swh:1:ori:<id>`). */
  id: Hex;
  url: string;
}

export interface Visit {
  origin: string;
  /** Counts up from 1 per origin. */
  visit: number;
  type: "git";
  /** When the visit was opened, ms since the epoch. */
  date: number;
  status: VisitStatus;
  /** When the status last changed, ms since the epoch. */
  statusDate: number;
  snapshot: Hex | null;
  jobId: string | null;
  error: string | null;
}

export interface ContentHashes {
  sha1: Hex;
  sha1_git: Hex;
  sha256: Hex;
  blake2s256: Hex;
  length: number;
}

/** A blob. `data` absent (with a `reason`) makes it a skipped content: hashes kept, bytes not. */
export interface Content extends ContentHashes {
  data?: Uint8Array;
  reason?: string;
}

export type ContentStatus = "visible" | "absent";

export interface StoredContent extends ContentHashes {
  status: ContentStatus;
  reason: string | null;
}

export type EntryType = "file" | "dir" | "rev";

export interface DirectoryEntry {
  /** Raw name bytes (git allows any bytes but NUL and `/`). */
  name: Uint8Array;
  type: EntryType;
  target: Hex;
  /** Git mode as a number: 0o100644, 0o100755, 0o120000 (symlink), 0o040000, 0o160000 (gitlink). */
  perms: number;
}

export interface Directory {
  id: Hex;
  /** The git tree body (without the `tree <len>\0` header): stored as is, so the id always verifies. */
  raw: Uint8Array;
}

/** A date as git wrote it: seconds, microseconds, and the raw timezone bytes (`+0200`, `-0000`, odd ones kept). */
export interface Timestamp {
  seconds: number;
  microseconds: number;
  offsetBytes: string;
}

export interface Person {
  /** The whole `Name <email>` as written. */
  fullname: string;
  name: string | null;
  email: string | null;
}

export interface Revision {
  id: Hex;
  directory: Hex;
  parents: Hex[];
  author: Person;
  date: Timestamp;
  committer: Person;
  committerDate: Timestamp;
  /** null: no message at all (no blank line after the headers). */
  message: string | null;
  type: "git";
  synthetic: boolean;
  /** Headers after committer, in order, e.g. gpgsig, mergetag, encoding; values without continuation spaces. */
  extraHeaders: [string, string][];
  /** The git commit body when re-serializing the fields above does not give back `id` (odd bytes, odd headers). */
  rawManifest: Uint8Array | null;
}

export type ReleaseTargetType = "content" | "directory" | "revision" | "release";

export interface Release {
  id: Hex;
  name: string;
  target: Hex;
  targetType: ReleaseTargetType;
  /** null: a tag without a tagger line. */
  author: Person | null;
  date: Timestamp | null;
  message: string | null;
  synthetic: boolean;
  rawManifest: Uint8Array | null;
}

export type BranchTargetType = "content" | "directory" | "revision" | "release" | "snapshot" | "alias";

/** A snapshot branch: `null` is a dangling branch (an alias that points nowhere). */
export type Branch = { target: string; targetType: BranchTargetType } | null;

export interface Snapshot {
  id: Hex;
  /** Branch name → target; alias targets are branch names, other targets hex ids. */
  branches: Record<string, Branch>;
}

/** SWHID object types, and what they name. */
export const OBJECT_TYPES = {
  cnt: "content",
  dir: "directory",
  rev: "revision",
  rel: "release",
  snp: "snapshot",
  ori: "origin",
} as const;
export type SwhidType = keyof typeof OBJECT_TYPES;
export type ObjectKind = (typeof OBJECT_TYPES)[SwhidType];

export function isHexId(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}
