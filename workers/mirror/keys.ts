// Object keys in the SYNC bucket, as git-partition-sync writes them: base64 (standard, padded) of compact JSON
// in a fixed field order, then ".tar.age". The consumer in the other partition parses them back.

export const KEY_SUFFIX = ".tar.age";

/** What an object key names: the destination (group, project, branch), the source commit and branch. */
export interface SyncKey {
  group: string;
  project_name: string;
  commit_sha: string;
  local_branch: string;
  remote_branch: string;
}

const FIELDS = ["group", "project_name", "commit_sha", "local_branch", "remote_branch"] as const;

/** The key for an object, with the fields in git-partition-sync's order (the JSON must match byte for byte). */
export function encodeKey(key: SyncKey): string {
  const json = JSON.stringify({
    group: key.group,
    project_name: key.project_name,
    commit_sha: key.commit_sha,
    local_branch: key.local_branch,
    remote_branch: key.remote_branch,
  });
  return base64(new TextEncoder().encode(json)) + KEY_SUFFIX;
}

export class BadKey extends Error {
  constructor(key: string, why: string) {
    super(`object key ${JSON.stringify(key.slice(0, 200))} is not a sync key: ${why}`);
    this.name = "BadKey";
  }
}

/** Parses an object key; throws BadKey when it is not base64 of the JSON above (a trailing newline is tolerated). */
export function decodeKey(objectKey: string): SyncKey {
  if (!objectKey.endsWith(KEY_SUFFIX)) throw new BadKey(objectKey, `no ${KEY_SUFFIX} suffix`);
  const encoded = objectKey.slice(0, -KEY_SUFFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) throw new BadKey(objectKey, "not base64");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(unbase64(encoded));
  } catch {
    throw new BadKey(objectKey, "not UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadKey(objectKey, "not JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new BadKey(objectKey, "not a JSON object");
  const record = value as Record<string, unknown>;
  for (const field of FIELDS) {
    const v = record[field];
    if (typeof v !== "string" || v === "") throw new BadKey(objectKey, `field ${field} missing or not a string`);
  }
  const key = Object.fromEntries(FIELDS.map((f) => [f, record[f] as string])) as unknown as SyncKey;
  if (!isBranchName(key.local_branch) || !isBranchName(key.remote_branch))
    throw new BadKey(objectKey, "invalid branch name");
  // The consumer builds destination URLs from these: a `..` or an escape must not lead it to another repo.
  if (!isDestinationPath(key.group)) throw new BadKey(objectKey, "invalid group");
  if (!isDestinationPath(key.project_name) || key.project_name.includes("/"))
    throw new BadKey(objectKey, "invalid project_name");
  return key;
}

/** A destination group (`a/b` nests) or project: plain path segments, none of them `.` or `..`. */
export function isDestinationPath(path: string): boolean {
  return (
    path.length <= 255 &&
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) &&
    !path.split("/").some((s) => s === "." || s === "..")
  );
}

/** The one name every object of a destination shares, whatever its commit: used to find stale objects. */
export function destinationOf(key: SyncKey): string {
  return JSON.stringify([key.group, key.project_name, key.remote_branch]);
}

/** A branch name git would accept (check-ref-format rules that matter for a refs/heads/<name> ref). */
export function isBranchName(name: string): boolean {
  if (!name || name.length > 255 || name.startsWith("-") || name.startsWith("/") || name.endsWith("/")) return false;
  if (name.endsWith(".") || name.endsWith(".lock") || name.includes("..") || name.includes("//") || name.includes("@{"))
    return false;
  if (name === "@" || /[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return !name.split("/").some((part) => part.startsWith("."));
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function unbase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
