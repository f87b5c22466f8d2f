// Small byte helpers shared by the git layer: text, object ids, CRC-32 (hex and concatenation are core's).

export const encoder = new TextEncoder();
/** Decodes without throwing on bad UTF-8 (for messages shown to people; raw bytes are kept elsewhere). */
export const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
/** Decodes one byte per char, so every byte string round-trips. */
export const latin1 = new TextDecoder("latin1");

export function isOid(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}

export const ZERO_OID = "0".repeat(40);

export { concat, fromHex, toHex } from "../core/bytes";

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** Continues a CRC-32 (the one git's .idx uses) over `bytes`; start with 0. */
export function crc32(crc: number, bytes: Uint8Array): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
