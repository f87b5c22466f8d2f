// Byte helpers every room uses: joining chunks, and reading a (small, already bounded) stream whole.

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Reads a whole stream into one array; callers bound its size first (the stream's source or a limit). */
export async function readAll(source: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  return concat(parts);
}
