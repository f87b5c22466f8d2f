// Byte helpers every room uses: hex, joining chunks, and reading a (small, already bounded) stream whole.

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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of some bytes (a table lookup per byte: it runs over every object id of a pack). */
export function toHex(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX[view[i]!];
  return out;
}

/** The bytes of a hex string (either case); anything that is not whole bytes of hex throws. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2) throw new Error(`not hex (odd length): ${hex.slice(0, 50)}`);
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(i * 2));
    const lo = nibble(hex.charCodeAt(i * 2 + 1));
    if (hi < 0 || lo < 0) throw new Error(`not hex: ${hex.slice(0, 50)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f, A-F
  return -1;
}
