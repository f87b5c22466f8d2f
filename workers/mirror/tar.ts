// Tar, streaming both ways: a ustar writer (PAX records for long names) whose entries' bodies may be streams,
// and a reader that yields entries one at a time and refuses paths that would land outside the archive root.
// Our own: entry bodies must stream both ways within a 128 MB isolate, on web streams (no Node stream or Buffer
// underneath), with the path checks made as each entry is read.

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink";

export interface TarEntryIn {
  path: string;
  type: TarEntryType;
  /** For files: the exact byte count of `body`. */
  size?: number;
  mode?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  linkname?: string;
  body?: Uint8Array | (() => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>);
}

const BLOCK = 512;
const TYPE_FLAG: Record<TarEntryType, string> = { file: "0", directory: "5", symlink: "2", hardlink: "1" };
const encoder = new TextEncoder();

/** A tar archive of `entries`, written as it is read: only one entry's header and a chunk are in memory at once. */
export function tarStream(entries: AsyncIterable<TarEntryIn> | Iterable<TarEntryIn>): ReadableStream<Uint8Array> {
  const pieces = tarPieces(entries);
  return new ReadableStream<Uint8Array>(
    {
      // One pull, one piece: the archive is made only as fast as it is read.
      async pull(controller) {
        const next = await pieces.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await pieces.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

async function* tarPieces(entries: AsyncIterable<TarEntryIn> | Iterable<TarEntryIn>): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    const size =
      entry.type === "file" ? (entry.size ?? (entry.body instanceof Uint8Array ? entry.body.byteLength : -1)) : 0;
    if (size < 0) throw new Error(`tar: ${entry.path}: a streamed body needs its size`);
    yield* headerBlocks(entry, size);
    if (entry.type !== "file") continue;
    let written = 0;
    if (entry.body instanceof Uint8Array) {
      written = entry.body.byteLength;
      if (written) yield entry.body;
    } else if (entry.body) {
      for await (const chunk of (await entry.body()) as unknown as AsyncIterable<Uint8Array>) {
        written += chunk.byteLength;
        if (written > size) throw new Error(`tar: ${entry.path}: body is longer than its declared ${size} bytes`);
        yield chunk;
      }
    }
    if (written !== size) throw new Error(`tar: ${entry.path}: body has ${written} bytes, declared ${size}`);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(BLOCK * 2);
}

function* headerBlocks(entry: TarEntryIn, size: number): Generator<Uint8Array> {
  const path = entry.type === "directory" && !entry.path.endsWith("/") ? entry.path + "/" : entry.path;
  const linkname = entry.linkname ?? "";
  const split = splitUstarName(path);
  const pax: string[] = [];
  if (!split) pax.push(paxRecord("path", path));
  if (encoder.encode(linkname).byteLength > 100) pax.push(paxRecord("linkpath", linkname));
  if (size > 0o77777777777) pax.push(paxRecord("size", String(size)));
  if (pax.length) {
    const body = encoder.encode(pax.join(""));
    yield header({ name: "PaxHeaders/entry", size: body.byteLength, type: "x", mode: 0o644, mtime: entry.mtime ?? 0 });
    yield padded(body);
  }
  yield header({
    name: split?.name ?? "",
    prefix: split?.prefix ?? "",
    size: size > 0o77777777777 ? 0 : size,
    type: TYPE_FLAG[entry.type],
    mode: entry.mode ?? (entry.type === "directory" ? 0o755 : entry.type === "symlink" ? 0o777 : 0o644),
    mtime: entry.mtime ?? 0,
    linkname: encoder.encode(linkname).byteLength > 100 ? "" : linkname,
  });
}

/** A PAX record: "<len> <key>=<value>\n", where <len> counts itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = encoder.encode(rest).byteLength;
  let len = restBytes + 1;
  while (String(len).length + restBytes !== len) len = String(len).length + restBytes;
  return `${len}${rest}`;
}

function splitUstarName(path: string): { name: string; prefix: string } | null {
  const bytes = encoder.encode(path).byteLength;
  if (bytes <= 100) return { name: path, prefix: "" };
  if (bytes > 256) return null;
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (encoder.encode(prefix).byteLength <= 155 && encoder.encode(name).byteLength <= 100 && name)
      return { name, prefix };
  }
  return null;
}

function header(h: {
  name: string;
  prefix?: string;
  size: number;
  type: string;
  mode: number;
  mtime: number;
  linkname?: string;
}): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (text: string, at: number, len: number) => block.set(encoder.encode(text).subarray(0, len), at);
  const octal = (n: number, at: number, len: number) => put(n.toString(8).padStart(len - 1, "0"), at, len - 1);
  put(h.name, 0, 100);
  octal(h.mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(h.size, 124, 12);
  octal(h.mtime, 136, 12);
  put("        ", 148, 8);
  put(h.type, 156, 1);
  put(h.linkname ?? "", 157, 100);
  put("ustar\u000000", 257, 8);
  put(h.prefix ?? "", 345, 155);
  let sum = 0;
  for (const b of block) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, 8);
  return block;
}

function padded(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(body.byteLength / BLOCK) * BLOCK);
  out.set(body);
  return out;
}
