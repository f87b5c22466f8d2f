// What a forge family's normalizer returns, and small readers for untrusted JSON payloads.

import { ZERO_ID, type ForgeCommit, type ForgeEvent, type ForgeEventKind, type ForgeFamily } from "../core/forge-event";

/** A delivery in ForgeEvent form before its repo log gives it an id. */
export type Delivered = Omit<ForgeEvent, "id">;

export type Normalized =
  { ok: true; event: Delivered } | { ok: false; ignored: string } | { ok: false; invalid: string };

export interface DeliveryMeta {
  forge: ForgeFamily;
  delivery: string;
  receivedAt: string;
}

export type Obj = Record<string, unknown>;

export function obj(value: unknown): Obj | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : null;
}

export function str(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

export const ignored = (reason: string): Normalized => ({ ok: false, ignored: reason });
export const invalid = (reason: string): Normalized => ({ ok: false, invalid: reason });

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** A git object id from the payload, lower case; null when absent or malformed. */
export function objectId(value: unknown): string | null {
  const s = str(value)?.toLowerCase() ?? null;
  return s && OBJECT_ID.test(s) ? s : null;
}

export function isZero(id: string | null): boolean {
  return id !== null && /^0+$/.test(id);
}

/** The event kind of a ref update: tags and branches, created/updated or deleted. */
export function refUpdateKind(ref: string, after: string | null, deleted: boolean): ForgeEventKind | null {
  const isTag = ref.startsWith("refs/tags/");
  const isBranch = ref.startsWith("refs/heads/");
  if (!isTag && !isBranch) return null;
  const gone = deleted || isZero(after);
  if (isTag) return gone ? "tag_delete" : "tag_push";
  return gone ? "branch_delete" : "push";
}

export function commitsOf(value: unknown): ForgeCommit[] {
  if (!Array.isArray(value)) return [];
  const out: ForgeCommit[] = [];
  for (const c of value) {
    const o = obj(c);
    const id = o && objectId(o.id);
    if (!o || !id) continue;
    const author = obj(o.author);
    out.push({
      id,
      message: typeof o.message === "string" ? o.message : "",
      url: str(o.url),
      timestamp: str(o.timestamp),
      author: author ? { name: str(author.name), email: str(author.email) } : null,
    });
  }
  return out;
}

export { ZERO_ID };
