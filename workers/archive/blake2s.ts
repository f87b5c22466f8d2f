// BLAKE2s-256 (RFC 7693), unkeyed, one-shot or streamed. Written for speed in a Worker: no allocation per
// block (state and message words in fixed typed arrays), where the generic library version ran at ~1–7 MB/s here.

const IV = new Uint32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

// The message schedule of the 10 rounds, flattened.
const SIGMA = new Uint8Array([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3, 11, 8, 12,
  0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4, 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8, 9, 0, 5, 7, 2, 4, 10,
  15, 14, 1, 11, 12, 6, 8, 3, 13, 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9, 12, 5, 1, 15, 14, 13, 4, 10, 0,
  7, 6, 3, 9, 2, 8, 11, 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10, 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7,
  1, 4, 10, 5, 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
]);

export class Blake2s {
  private readonly h = new Uint32Array(8);
  private readonly m = new Uint32Array(16);
  private readonly buffer = new Uint8Array(64);
  private buffered = 0;
  /** Bytes compressed so far (the counter t). */
  private counter = 0;
  private done = false;

  constructor() {
    this.h.set(IV);
    this.h[0]! ^= 0x01010020; // depth 1, fanout 1, no key, 32-byte digest
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error("blake2s: update after digest");
    let at = 0;
    // The last block must be compressed with the final flag, so a full buffer waits until more data comes.
    while (at < data.length) {
      if (this.buffered === 64) {
        this.counter += 64;
        this.compress(this.buffer, 0, false);
        this.buffered = 0;
      }
      if (this.buffered === 0 && data.length - at > 64) {
        while (data.length - at > 64) {
          this.counter += 64;
          this.compress(data, at, false);
          at += 64;
        }
        continue;
      }
      const take = Math.min(64 - this.buffered, data.length - at);
      this.buffer.set(data.subarray(at, at + take), this.buffered);
      this.buffered += take;
      at += take;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.done) throw new Error("blake2s: digest twice");
    this.done = true;
    this.counter += this.buffered;
    this.buffer.fill(0, this.buffered);
    this.compress(this.buffer, 0, true);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const w = this.h[i]!;
      out[i * 4] = w;
      out[i * 4 + 1] = w >>> 8;
      out[i * 4 + 2] = w >>> 16;
      out[i * 4 + 3] = w >>> 24;
    }
    return out;
  }

  private compress(d: Uint8Array, o: number, last: boolean): void {
    const { h, m } = this;
    for (let i = 0; i < 16; i++, o += 4) m[i] = d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24);
    // The 16 working words live in locals (V8 keeps them in registers); each round's G steps are written out.
    let v0 = h[0]! | 0,
      v1 = h[1]! | 0,
      v2 = h[2]! | 0,
      v3 = h[3]! | 0,
      v4 = h[4]! | 0,
      v5 = h[5]! | 0,
      v6 = h[6]! | 0,
      v7 = h[7]! | 0;
    let v8 = IV[0]! | 0,
      v9 = IV[1]! | 0,
      v10 = IV[2]! | 0,
      v11 = IV[3]! | 0;
    let v12 = (IV[4]! ^ (this.counter >>> 0)) | 0;
    let v13 = (IV[5]! ^ Math.floor(this.counter / 0x100000000)) | 0;
    let v14 = (last ? ~IV[6]! : IV[6]!) | 0;
    let v15 = IV[7]! | 0;
    for (let r = 0; r < 160; r += 16) {
      v0 = (v0 + v4 + m[SIGMA[r + 0]!]!) | 0;
      v12 ^= v0;
      v12 = (v12 >>> 16) | (v12 << 16);
      v8 = (v8 + v12) | 0;
      v4 ^= v8;
      v4 = (v4 >>> 12) | (v4 << 20);
      v0 = (v0 + v4 + m[SIGMA[r + 1]!]!) | 0;
      v12 ^= v0;
      v12 = (v12 >>> 8) | (v12 << 24);
      v8 = (v8 + v12) | 0;
      v4 ^= v8;
      v4 = (v4 >>> 7) | (v4 << 25);
      v1 = (v1 + v5 + m[SIGMA[r + 2]!]!) | 0;
      v13 ^= v1;
      v13 = (v13 >>> 16) | (v13 << 16);
      v9 = (v9 + v13) | 0;
      v5 ^= v9;
      v5 = (v5 >>> 12) | (v5 << 20);
      v1 = (v1 + v5 + m[SIGMA[r + 3]!]!) | 0;
      v13 ^= v1;
      v13 = (v13 >>> 8) | (v13 << 24);
      v9 = (v9 + v13) | 0;
      v5 ^= v9;
      v5 = (v5 >>> 7) | (v5 << 25);
      v2 = (v2 + v6 + m[SIGMA[r + 4]!]!) | 0;
      v14 ^= v2;
      v14 = (v14 >>> 16) | (v14 << 16);
      v10 = (v10 + v14) | 0;
      v6 ^= v10;
      v6 = (v6 >>> 12) | (v6 << 20);
      v2 = (v2 + v6 + m[SIGMA[r + 5]!]!) | 0;
      v14 ^= v2;
      v14 = (v14 >>> 8) | (v14 << 24);
      v10 = (v10 + v14) | 0;
      v6 ^= v10;
      v6 = (v6 >>> 7) | (v6 << 25);
      v3 = (v3 + v7 + m[SIGMA[r + 6]!]!) | 0;
      v15 ^= v3;
      v15 = (v15 >>> 16) | (v15 << 16);
      v11 = (v11 + v15) | 0;
      v7 ^= v11;
      v7 = (v7 >>> 12) | (v7 << 20);
      v3 = (v3 + v7 + m[SIGMA[r + 7]!]!) | 0;
      v15 ^= v3;
      v15 = (v15 >>> 8) | (v15 << 24);
      v11 = (v11 + v15) | 0;
      v7 ^= v11;
      v7 = (v7 >>> 7) | (v7 << 25);
      v0 = (v0 + v5 + m[SIGMA[r + 8]!]!) | 0;
      v15 ^= v0;
      v15 = (v15 >>> 16) | (v15 << 16);
      v10 = (v10 + v15) | 0;
      v5 ^= v10;
      v5 = (v5 >>> 12) | (v5 << 20);
      v0 = (v0 + v5 + m[SIGMA[r + 9]!]!) | 0;
      v15 ^= v0;
      v15 = (v15 >>> 8) | (v15 << 24);
      v10 = (v10 + v15) | 0;
      v5 ^= v10;
      v5 = (v5 >>> 7) | (v5 << 25);
      v1 = (v1 + v6 + m[SIGMA[r + 10]!]!) | 0;
      v12 ^= v1;
      v12 = (v12 >>> 16) | (v12 << 16);
      v11 = (v11 + v12) | 0;
      v6 ^= v11;
      v6 = (v6 >>> 12) | (v6 << 20);
      v1 = (v1 + v6 + m[SIGMA[r + 11]!]!) | 0;
      v12 ^= v1;
      v12 = (v12 >>> 8) | (v12 << 24);
      v11 = (v11 + v12) | 0;
      v6 ^= v11;
      v6 = (v6 >>> 7) | (v6 << 25);
      v2 = (v2 + v7 + m[SIGMA[r + 12]!]!) | 0;
      v13 ^= v2;
      v13 = (v13 >>> 16) | (v13 << 16);
      v8 = (v8 + v13) | 0;
      v7 ^= v8;
      v7 = (v7 >>> 12) | (v7 << 20);
      v2 = (v2 + v7 + m[SIGMA[r + 13]!]!) | 0;
      v13 ^= v2;
      v13 = (v13 >>> 8) | (v13 << 24);
      v8 = (v8 + v13) | 0;
      v7 ^= v8;
      v7 = (v7 >>> 7) | (v7 << 25);
      v3 = (v3 + v4 + m[SIGMA[r + 14]!]!) | 0;
      v14 ^= v3;
      v14 = (v14 >>> 16) | (v14 << 16);
      v9 = (v9 + v14) | 0;
      v4 ^= v9;
      v4 = (v4 >>> 12) | (v4 << 20);
      v3 = (v3 + v4 + m[SIGMA[r + 15]!]!) | 0;
      v14 ^= v3;
      v14 = (v14 >>> 8) | (v14 << 24);
      v9 = (v9 + v14) | 0;
      v4 ^= v9;
      v4 = (v4 >>> 7) | (v4 << 25);
    }
    h[0] = h[0]! ^ v0 ^ v8;
    h[1] = h[1]! ^ v1 ^ v9;
    h[2] = h[2]! ^ v2 ^ v10;
    h[3] = h[3]! ^ v3 ^ v11;
    h[4] = h[4]! ^ v4 ^ v12;
    h[5] = h[5]! ^ v5 ^ v13;
    h[6] = h[6]! ^ v6 ^ v14;
    h[7] = h[7]! ^ v7 ^ v15;
  }
}

export function blake2s256(data: Uint8Array): Uint8Array {
  return new Blake2s().update(data).digest();
}
