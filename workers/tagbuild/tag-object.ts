// The tag object a job is about: its headers and message, and whether its tagger timestamp is fresh enough
// to act on (replay protection: an old tag pushed again must not build again after its rows expire).

import { parseTag, type Tag } from "../git";
import { messageOf } from "../core/errors";

export interface Tagger {
  name: string;
  email: string;
  /** Seconds since the epoch, as the tagger line says. */
  timestamp: number;
  /** `+0100` */
  tz: string;
}

export interface TagFacts {
  object: string;
  type: string;
  tag: string;
  tagger: Tagger;
  message: string;
}

export class TagObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TagObjectError";
  }
}

const TAGGER_RE = /^(.*) <([^<>]*)> (\d{1,15}) ([+-]\d{4})$/;

/** Reads a `tagger` header value; throws TagObjectError when it has no valid timestamp. */
export function parseTagger(value: string): Tagger {
  const m = TAGGER_RE.exec(value);
  if (!m) {
    if (/<[^<>]*>\s*$/.test(value)) throw new TagObjectError(`tagger line has no timestamp: ${clip(value)}`);
    throw new TagObjectError(`malformed tagger line: ${clip(value)}`);
  }
  return { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), tz: m[4]! };
}

/**
 * Reads a raw tag object (`git cat-file tag` bytes) with the git layer's parser, then holds it to what
 * tag2upload relies on: UTF-8 throughout, and a tagger line with a timestamp (git's own parser is lenient there).
 */
export function readTagObject(bytes: Uint8Array): TagFacts {
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  try {
    utf8.decode(bytes);
  } catch {
    throw new TagObjectError("tag object is not valid UTF-8");
  }
  let tag: Tag;
  try {
    tag = parseTag(bytes);
  } catch (err) {
    throw new TagObjectError(messageOf(err));
  }
  if (!tag.tagger) throw new TagObjectError("tag object has no tagger line");
  return {
    object: tag.object,
    type: tag.type,
    tag: tag.tag,
    tagger: parseTagger(utf8.decode(tag.tagger.raw)),
    message: tag.text,
  };
}

/** Whether a tagger timestamp lies in [now − maxAge, now + slop]; the reason when it does not. */
export function checkTaggerTime(
  timestampSeconds: number,
  nowMs: number,
  maxAgeMs: number,
  slopMs: number,
): string | null {
  const at = timestampSeconds * 1000;
  if (at > nowMs + slopMs)
    return `tagger timestamp ${iso(at)} is ${Math.round((at - nowMs) / 1000)} s in the future (allowed: ${Math.round(slopMs / 1000)} s)`;
  if (at < nowMs - maxAgeMs)
    return `tagger timestamp ${iso(at)} is older than ${Math.round(maxAgeMs / 3_600_000)} h (a replayed or stale tag)`;
  return null;
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

function clip(s: string, max = 120): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}
