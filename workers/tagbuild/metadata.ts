// Tag-build metadata: DEP-14 tag names and the `[dgit …]` lines of a tag message, as tag2upload reads them.
// Plain functions over strings; every refusal says why.

/** What a tag message asks of us, once it is known to be for our distro. */
export interface BuildRequest {
  distro: string;
  source: string;
  version: string;
  upstreamTag: string | null;
  upstream: string | null;
}

export type MetadataVerdict =
  | { ok: true; request: BuildRequest }
  /** The tag is not an instruction to us (no metadata, another distro): ends without blame. */
  | { ok: false; notForUs: string }
  /** The tag is meant for us but is wrong: ends `irrecoverable` with the reason. */
  | { ok: false; invalid: string };

/** One `[dgit …]` line: its items in order, `key` or `key=value`. */
export interface DgitLine {
  items: { key: string; value: string | null }[];
}

// Debian policy 5.6.1 / 5.6.12: package names and version numbers.
const SOURCE_RE = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION_RE = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$/;
const DISTRO_RE = /^[a-z0-9][a-z0-9.+-]*$/;
const OBJECT_ID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MAX_LINE = 4096;

export function isDistroName(s: string): boolean {
  return DISTRO_RE.test(s) && s.length <= 64;
}

export function isSourcePackage(s: string): boolean {
  return SOURCE_RE.test(s) && s.length <= 100;
}

export function isDebianVersion(s: string): boolean {
  if (!VERSION_RE.test(s) || s.length > 200) return false;
  // A colon is only the epoch separator; a hyphen-free version has no revision, which is fine.
  return s.indexOf(":") === s.lastIndexOf(":");
}

/**
 * The DEP-14 form of a version as a git ref component: `:`→`%`, `~`→`_`, and a `.` that is followed by
 * `.`, by the end of the name, or by `lock` gets a `#` after it (git refuses `..`, a trailing `.` and `.lock`).
 */
export function mangleVersion(version: string): string {
  const swapped = version.replace(/:/g, "%").replace(/~/g, "_");
  return swapped.replace(/\.(?=\.|$|lock$)/g, ".#");
}

/** The inverse of `mangleVersion`, or null when `mangled` is not something it can produce. */
export function unmangleVersion(mangled: string): string | null {
  const version = mangled.replace(/\.#/g, ".").replace(/%/g, ":").replace(/_/g, "~");
  return mangleVersion(version) === mangled ? version : null;
}

/** The tag name tag2upload expects for a version: `DISTRO/VERSION`, mangled. */
export function expectedTagName(distro: string, version: string): string {
  return `${distro}/${mangleVersion(version)}`;
}

/**
 * Whether a tag name is plausibly a build instruction for `distro`: `DISTRO/VERSION` with a valid mangled
 * version. Returns the version, or the reason it is not plausible.
 */
export function plausibleTagName(
  name: string,
  distro: string,
): { ok: true; version: string } | { ok: false; reason: string } {
  const slash = name.indexOf("/");
  if (slash < 0) return { ok: false, reason: `tag ${name} is not of the form DISTRO/VERSION` };
  const prefix = name.slice(0, slash);
  if (prefix !== distro) return { ok: false, reason: `tag ${name} is for distro "${prefix}", not "${distro}"` };
  const version = unmangleVersion(name.slice(slash + 1));
  if (version === null || !isDebianVersion(version))
    return { ok: false, reason: `tag ${name}: "${name.slice(slash + 1)}" is not a DEP-14 mangled Debian version` };
  return { ok: true, version };
}

/**
 * Splits a message into its `[dgit …]` lines. A line counts when it starts with `[dgit` followed by a space
 * or `]`; lines whose first item starts with `"` are ignored (they quote, they do not instruct).
 * Throws MetadataError on a malformed line.
 */
export function dgitLines(message: string): DgitLine[] {
  const out: DgitLine[] = [];
  for (const raw of message.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (!/^\[dgit(?:[\s\]]|$)/.test(line)) continue;
    if (line.length > MAX_LINE) throw new MetadataError(`a [dgit line is longer than ${MAX_LINE} characters`);
    const m = /^\[dgit (.*)\]$/.exec(line);
    if (!m) throw new MetadataError(`malformed metadata line (expected "[dgit ITEM …]"): ${clip(line)}`);
    const body = m[1]!;
    if (body.startsWith('"')) continue;
    const words = body.split(" ");
    if (words.some((w) => w === "")) throw new MetadataError(`malformed metadata line (empty item): ${clip(line)}`);
    const items = words.map((w) => {
      const eq = w.indexOf("=");
      const key = eq < 0 ? w : w.slice(0, eq);
      if (!key) throw new MetadataError(`malformed metadata item "${clip(w)}" (no key)`);
      if (/[\s\][]/.test(w)) throw new MetadataError(`malformed metadata item "${clip(w)}"`);
      return { key, value: eq < 0 ? null : w.slice(eq + 1) };
    });
    out.push({ items });
  }
  return out;
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetadataError";
  }
}

/**
 * Reads a tag message for `distro`. For us only when a `[dgit …]` line names `distro=<ours>` and a
 * `[dgit please-upload …]` line gives `source=` and `version=`. A `!`-key anywhere rejects the tag.
 */
export function readMetadata(message: string, distro: string): MetadataVerdict {
  let lines: DgitLine[];
  try {
    lines = dgitLines(message);
  } catch (err) {
    if (err instanceof MetadataError) return { ok: false, invalid: err.message };
    throw err;
  }
  if (!lines.length) return { ok: false, notForUs: "the tag message has no [dgit …] metadata" };
  const distros = new Set<string>();
  let pleaseUpload: DgitLine | null = null;
  for (const line of lines) {
    for (const { key, value } of line.items) {
      if (key.startsWith("!"))
        return { ok: false, invalid: `the tag demands "${clip(key)}", which this service does not understand` };
      if (key === "distro") {
        if (!value) return { ok: false, invalid: "distro= has no value" };
        distros.add(value);
      }
    }
    if (line.items.some((i) => i.key === "please-upload" && i.value === null)) {
      if (pleaseUpload) return { ok: false, invalid: "more than one [dgit please-upload …] line" };
      pleaseUpload = line;
    }
  }
  if (!pleaseUpload) return { ok: false, notForUs: "no [dgit please-upload …] line" };
  if (!distros.has(distro))
    return { ok: false, notForUs: `metadata names distro ${[...distros].join(", ") || "(none)"}, not ${distro}` };

  const fields = new Map<string, string | null>();
  for (const { key, value } of pleaseUpload.items) {
    if (key === "please-upload") continue;
    if (fields.has(key) && fields.get(key) !== value) return { ok: false, invalid: `please-upload gives ${key} twice` };
    fields.set(key, value);
  }
  const source = fields.get("source");
  const version = fields.get("version");
  if (!source) return { ok: false, invalid: "please-upload has no source=" };
  if (!version) return { ok: false, invalid: "please-upload has no version=" };
  if (!isSourcePackage(source))
    return { ok: false, invalid: `source=${clip(source)} is not a valid source package name` };
  if (!isDebianVersion(version))
    return { ok: false, invalid: `version=${clip(version)} is not a valid Debian version` };
  const upstream = fields.get("upstream") ?? null;
  if (fields.has("upstream") && (!upstream || !OBJECT_ID_RE.test(upstream)))
    return { ok: false, invalid: `upstream=${clip(upstream ?? "")} is not a commit id` };
  const upstreamTag = fields.get("upstream-tag") ?? null;
  if (fields.has("upstream-tag") && !upstreamTag) return { ok: false, invalid: "upstream-tag= has no value" };
  return { ok: true, request: { distro, source, version, upstreamTag, upstream } };
}

/** Checks that the tag's name is the one its metadata implies. */
export function checkTagName(tagName: string, request: BuildRequest): string | null {
  const expected = expectedTagName(request.distro, request.version);
  return tagName === expected ? null : `tag name ${tagName} does not match its metadata (expected ${expected})`;
}

function clip(s: string, max = 120): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}
