// Reading a tar stream one entry at a time, with the path checks an archive from outside needs: no absolute
// paths, no `..`, no symlink or hard link pointing outside the root, nothing reached through a symlink.

import type { TarEntryType } from "./tar";

export interface TarEntryOut {
  /** Normalized: no leading `./`, no trailing `/`. */
  path: string;
  type: TarEntryType;
  size: number;
  mode: number;
  linkname: string;
  /** The entry's bytes; read it or call `skip()` before asking for the next entry. */
  body(): ReadableStream<Uint8Array>;
  skip(): Promise<void>;
}

/** The archive is malformed or unsafe to extract. */
export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarError";
  }
}

const BLOCK = 512;
const decoder = new TextDecoder();

/** Yields the archive's entries in order; throws TarError on a malformed header or an unsafe path. */
export async function* tarEntries(source: ReadableStream<Uint8Array>): AsyncGenerator<TarEntryOut> {
  const bytes = new ByteReader(source);
  const symlinks = new Set<string>();
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let longLink: string | null = null;
  try {
    for (;;) {
      const block = await bytes.exact(BLOCK);
      if (!block) throw new TarError("archive ends without its end-of-archive blocks (truncated)");
      if (block.every((b) => b === 0)) return; // end of archive (a second zero block may follow; nothing after matters)
      checkChecksum(block);
      const type = String.fromCharCode(block[156]!);
      const size = pax.size !== undefined ? Number(pax.size) : parseNumber(block.subarray(124, 136));
      if (!Number.isSafeInteger(size) || size < 0) throw new TarError("entry has an invalid size");
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === "x" || type === "g" || type === "L" || type === "K") {
        if (size > 1024 * 1024) throw new TarError(`metadata entry of ${size} bytes is too large`);
        const body = await bytes.exact(padded);
        if (!body) throw new TarError("archive is truncated inside a metadata entry");
        const text = body.subarray(0, size);
        if (type === "x") pax = { ...pax, ...parsePax(text) };
        else if (type === "L") longName = cString(text);
        else if (type === "K") longLink = cString(text);
        continue;
      }
      const prefix = cString(block.subarray(345, 500));
      const rawName =
        pax.path ??
        longName ??
        (prefix ? `${prefix}/${cString(block.subarray(0, 100))}` : cString(block.subarray(0, 100)));
      const linkname = pax.linkpath ?? longLink ?? cString(block.subarray(157, 257));
      pax = {};
      longName = longLink = null;
      const kind = entryType(type, rawName);
      const path = safePath(rawName);
      for (const link of symlinks)
        if (path.startsWith(link + "/"))
          throw new TarError(`unsafe path ${JSON.stringify(rawName)}: it goes through the symlink ${link}`);
      if (kind === "symlink") {
        checkLinkTarget(path, linkname, true);
        symlinks.add(path);
      } else if (kind === "hardlink") checkLinkTarget(path, linkname, false);
      const bodySize = kind === "file" ? size : 0;
      let consumed = false;
      const entry: TarEntryOut = {
        path,
        type: kind,
        size: bodySize,
        mode: parseNumber(block.subarray(100, 108)),
        linkname,
        body: () => {
          if (consumed) throw new Error(`tar entry ${path} was already read`);
          consumed = true;
          return bytes.slice(bodySize, padded - bodySize);
        },
        skip: async () => {
          if (consumed) return;
          consumed = true;
          if (!(await bytes.discard(padded))) throw new TarError(`archive is truncated inside ${path}`);
        },
      };
      yield entry;
      if (!consumed) await entry.skip();
      await bytes.settled();
    }
  } finally {
    await bytes.close();
  }
}

function entryType(flag: string, name: string): TarEntryType {
  switch (flag) {
    case "0":
    case "\u0000":
    case "7":
      return name.endsWith("/") ? "directory" : "file";
    case "5":
      return "directory";
    case "2":
      return "symlink";
    case "1":
      return "hardlink";
    default:
      throw new TarError(
        `entry ${JSON.stringify(name)} has type ${JSON.stringify(flag)} (devices, fifos and others are refused)`,
      );
  }
}

/** The entry's path relative to the archive root, or TarError when it is absolute or climbs out. */
export function safePath(raw: string): string {
  if (!raw || raw.includes("\u0000")) throw new TarError("entry has an empty path");
  if (raw.startsWith("/") || /^[A-Za-z]:[\\/]/.test(raw) || raw.startsWith("\\"))
    throw new TarError(`unsafe path ${JSON.stringify(raw)}: absolute paths are refused`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p.includes("\\")))
    throw new TarError(`unsafe path ${JSON.stringify(raw)}: paths with ".." are refused`);
  if (!parts.length) return ".";
  return parts.join("/");
}

/** A link target must resolve inside the root; a symlink's target is relative to the link's own directory. */
function checkLinkTarget(path: string, target: string, relativeToLink: boolean): void {
  if (!target || target.startsWith("/") || target.includes("\u0000"))
    throw new TarError(
      `unsafe link ${JSON.stringify(path)} -> ${JSON.stringify(target)}: absolute targets are refused`,
    );
  const stack = relativeToLink ? path.split("/").slice(0, -1) : [];
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!stack.length)
        throw new TarError(`unsafe link ${JSON.stringify(path)} -> ${JSON.stringify(target)}: it escapes the archive`);
      stack.pop();
    } else stack.push(part);
  }
}

function checkChecksum(block: Uint8Array): void {
  const stored = parseNumber(block.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  if (sum !== stored) throw new TarError("not a tar archive (header checksum mismatch)");
}

function parseNumber(field: Uint8Array): number {
  if (field[0]! & 0x80) {
    // GNU base-256 for large sizes.
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(field).trim();
  if (!text) return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError("not a tar archive (bad number in header)");
  return parseInt(text, 8);
}

function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function parsePax(body: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const len = parseInt(decoder.decode(body.subarray(at, space)), 10);
    if (!Number.isInteger(len) || len <= 0 || at + len > body.length) throw new TarError("malformed PAX header");
    const record = decoder.decode(body.subarray(space + 1, at + len - 1));
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

/** Pull-based reading of exact byte counts from a stream, keeping at most one chunk aside. */
class ByteReader {
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private rest: Uint8Array = new Uint8Array(0);
  private pending: Promise<void> = Promise.resolve();

  constructor(source: ReadableStream<Uint8Array>) {
    this.reader = source.getReader();
  }

  /** Exactly `n` bytes, or null at a clean end of stream before any of them. */
  async exact(n: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const chunk = await this.take(n - got);
      if (!chunk) {
        if (got === 0) return null;
        throw new TarError("archive is truncated");
      }
      out.set(chunk, got);
      got += chunk.byteLength;
    }
    return out;
  }

  async discard(n: number): Promise<boolean> {
    while (n > 0) {
      const chunk = await this.take(n);
      if (!chunk) return false;
      n -= chunk.byteLength;
    }
    return true;
  }

  /** A stream of the next `n` bytes, then `pad` bytes skipped; the next entry waits until it is drained. */
  slice(n: number, pad: number): ReadableStream<Uint8Array> {
    let left = n;
    let done!: () => void;
    let failed!: (err: unknown) => void;
    this.pending = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
    this.pending.catch(() => {}); // observed by settled(); this keeps an abandoned archive from an unhandled rejection
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            if (left === 0) {
              if (!(await this.discard(pad))) throw new TarError("archive is truncated");
              controller.close();
              done();
              return;
            }
            const chunk = await this.take(Math.min(left, 256 * 1024));
            if (!chunk) throw new TarError("archive is truncated inside an entry");
            left -= chunk.byteLength;
            controller.enqueue(chunk);
          } catch (err) {
            failed(err);
            throw err;
          }
        },
        cancel: async () => {
          const ok = await this.discard(left + pad);
          if (ok) done();
          else failed(new TarError("archive is truncated"));
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Waits until the last body handed out was read to its end. */
  async settled(): Promise<void> {
    await this.pending;
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }

  private async take(max: number): Promise<Uint8Array | null> {
    if (!this.rest.byteLength) {
      const { done, value } = await this.reader.read();
      if (done) return null;
      this.rest = value;
    }
    const chunk = this.rest.subarray(0, Math.min(max, this.rest.byteLength));
    this.rest = this.rest.subarray(chunk.byteLength);
    return chunk;
  }
}
