// SWHID v1: `swh:1:<cnt|dir|rev|rel|snp|ori>:<40 hex>` with optional qualifiers origin, visit, anchor, path, lines
// (in that canonical order when formatted). Parsing is strict: anything else is a SwhidError, said plainly.

import { OBJECT_TYPES, type Hex, type SwhidType } from "./model";

export class SwhidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SwhidError";
  }
}

export interface CoreSwhid {
  type: SwhidType;
  id: Hex;
}

export interface SwhidQualifiers {
  /** The software origin URL the object was found in. */
  origin?: string;
  /** The snapshot of the visit (a `snp` SWHID). */
  visit?: CoreSwhid;
  /** The directory, revision, release or snapshot the path is relative to. */
  anchor?: CoreSwhid;
  /** Absolute path from the anchor's root directory, as raw bytes. */
  path?: Uint8Array;
  /** A line, or a range of lines, in a content. */
  lines?: { start: number; end?: number };
}

export interface Swhid extends CoreSwhid {
  qualifiers: SwhidQualifiers;
}

const QUALIFIER_ORDER = ["origin", "visit", "anchor", "path", "lines"] as const;
const ANCHOR_TYPES: SwhidType[] = ["dir", "rev", "rel", "snp"];
const encoder = new TextEncoder();

export function formatCore({ type, id }: CoreSwhid): string {
  return `swh:1:${type}:${id}`;
}

/** The SWHID with its qualifiers in canonical order, values percent-escaped where they must be. */
export function formatSwhid(swhid: CoreSwhid & { qualifiers?: SwhidQualifiers }): string {
  const q = swhid.qualifiers ?? {};
  let out = formatCore(swhid);
  for (const key of QUALIFIER_ORDER) {
    const value = q[key];
    if (value === undefined) continue;
    let text: string;
    if (key === "visit" || key === "anchor") text = formatCore(value as CoreSwhid);
    else if (key === "lines") {
      const l = value as { start: number; end?: number };
      text = l.end !== undefined ? `${l.start}-${l.end}` : `${l.start}`;
    } else text = escapeValue(typeof value === "string" ? encoder.encode(value) : (value as Uint8Array));
    out += `;${key}=${text}`;
  }
  return out;
}

/** Percent-escapes `%`, `;`, controls, spaces and non-ASCII bytes; keeps the rest readable (`/`, `:`, `=`, …). */
function escapeValue(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b <= 0x20 || b >= 0x7f || b === 0x25 || b === 0x3b) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    else out += String.fromCharCode(b);
  }
  return out;
}

function unescapeValue(text: string, key: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex))
        throw new SwhidError(`qualifier ${key} has a bad percent-escape at "${text.slice(i, i + 3)}"`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (c > 0x7e || c < 0x20) {
      // A raw non-ASCII character (a SWHID pasted unescaped): take its UTF-8 bytes.
      out.push(...encoder.encode(text[i]!));
    } else out.push(c);
  }
  return new Uint8Array(out);
}

/** `swh:1:<type>:<hex>` only (no qualifiers). */
export function parseCore(text: string): CoreSwhid {
  const parts = text.split(":");
  if (parts.length !== 4)
    throw new SwhidError(`"${short(text)}" is not a SWHID: expected swh:1:<type>:<40 hex digits>`);
  const [scheme, version, type, id] = parts as [string, string, string, string];
  if (scheme !== "swh") throw new SwhidError(`"${short(text)}" is not a SWHID: it must start with "swh:"`);
  if (version !== "1") throw new SwhidError(`SWHID version "${version}" is not supported (only 1)`);
  if (!(type in OBJECT_TYPES))
    throw new SwhidError(`SWHID object type "${type}" is unknown (cnt, dir, rev, rel, snp, ori)`);
  if (!/^[0-9a-f]{40}$/.test(id))
    throw new SwhidError(`SWHID object id "${short(id)}" must be 40 lowercase hex digits`);
  return { type: type as SwhidType, id };
}

/** A SWHID with its qualifiers; throws SwhidError on anything malformed, unknown or repeated. */
export function parseSwhid(text: string): Swhid {
  const [core, ...rest] = text.split(";");
  const swhid: Swhid = { ...parseCore(core!), qualifiers: {} };
  if (rest.length && swhid.type === "ori") throw new SwhidError("an origin SWHID (ori) takes no qualifiers");
  const q = swhid.qualifiers;
  for (const part of rest) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new SwhidError(`qualifier "${short(part)}" must be key=value`);
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!(QUALIFIER_ORDER as readonly string[]).includes(key))
      throw new SwhidError(`qualifier "${short(key)}" is unknown (origin, visit, anchor, path, lines)`);
    if (key in q) throw new SwhidError(`qualifier ${key} is given twice`);
    if (!value) throw new SwhidError(`qualifier ${key} is empty`);
    switch (key) {
      case "origin": {
        const url = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(unescapeValue(value, key));
        if (!/^[a-z][a-z0-9+.-]*:\/?\/?[^\s]+$/i.test(url))
          throw new SwhidError(`qualifier origin "${short(url)}" is not a URL`);
        q.origin = url;
        break;
      }
      case "visit": {
        const visit = parseQualifierCore(value, key);
        if (visit.type !== "snp")
          throw new SwhidError(`qualifier visit must be a snapshot SWHID (swh:1:snp:…), not ${visit.type}`);
        q.visit = visit;
        break;
      }
      case "anchor": {
        const anchor = parseQualifierCore(value, key);
        if (!ANCHOR_TYPES.includes(anchor.type))
          throw new SwhidError(`qualifier anchor must be a dir, rev, rel or snp SWHID, not ${anchor.type}`);
        q.anchor = anchor;
        break;
      }
      case "path": {
        const path = unescapeValue(value, key);
        if (path[0] !== 0x2f) throw new SwhidError(`qualifier path must be absolute (start with /)`);
        q.path = path;
        break;
      }
      case "lines": {
        const m = /^([1-9]\d{0,8})(?:-([1-9]\d{0,8}))?$/.exec(value);
        if (!m) throw new SwhidError(`qualifier lines "${short(value)}" must be a line number or a range like 10-20`);
        const start = Number(m[1]);
        const end = m[2] === undefined ? undefined : Number(m[2]);
        if (end !== undefined && end < start)
          throw new SwhidError(`qualifier lines ${value}: the range ends before it starts`);
        q.lines = end === undefined ? { start } : { start, end };
        break;
      }
    }
  }
  return swhid;
}

function parseQualifierCore(value: string, key: string): CoreSwhid {
  try {
    return parseCore(value);
  } catch (err) {
    throw new SwhidError(`qualifier ${key}: ${(err as Error).message}`);
  }
}

function short(s: string): string {
  return s.length > 80 ? s.slice(0, 79) + "…" : s;
}
