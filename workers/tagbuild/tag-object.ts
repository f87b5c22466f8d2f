// The tag object a job is about: its headers and message, and whether its tagger timestamp is fresh enough
// to act on (replay protection: an old tag pushed again must not build again after its rows expire).

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
 * Reads a raw tag object (`git cat-file tag` bytes). Strict about the headers tag2upload relies on:
 * object, type, tag, tagger, in that order.
 */
export function readTagObject(bytes: Uint8Array): TagFacts {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new TagObjectError("tag object is not valid UTF-8");
  }
  const end = text.indexOf("\n\n");
  const head = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? "" : text.slice(end + 2);
  const headers = head.split("\n");
  const want = ["object", "type", "tag", "tagger"];
  const values: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const line = headers[i];
    if (line === undefined || !line.startsWith(want[i] + " "))
      throw new TagObjectError(want[i] === "tagger" ? "tag object has no tagger line" : `tag object has no ${want[i]} header`);
    values.push(line.slice(want[i]!.length + 1));
  }
  const [object, type, tag, taggerLine] = values as [string, string, string, string];
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(object)) throw new TagObjectError(`tag object names a malformed object id ${clip(object)}`);
  return { object, type, tag, tagger: parseTagger(taggerLine), message };
}

/** Whether a tagger timestamp lies in [now − maxAge, now + slop]; the reason when it does not. */
export function checkTaggerTime(timestampSeconds: number, nowMs: number, maxAgeMs: number, slopMs: number): string | null {
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
