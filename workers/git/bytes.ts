// Small byte helpers shared by the git layer: hex, text, concatenation, CRC-32.

export const encoder = new TextEncoder();
/** Decodes without throwing on bad UTF-8 (for messages shown to people; raw bytes are kept elsewhere). */
export const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
/** Decodes one byte per char, so every byte string round-trips. */
export const latin1 = new TextDecoder("latin1");

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function isOid(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}

export const ZERO_OID = "0".repeat(40);

export { concat } from "../core/bytes";

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
