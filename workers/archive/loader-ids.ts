// A compact set of the object ids a pack holds (8 bytes each instead of a ~90-byte string), so that a
// pack of millions of objects can be checked for completeness in a Worker's memory.

/** Ids by their first 64 bits: at archive scale a collision is far less likely than a cosmic ray. */
export class PackIds {
  private keys = new BigUint64Array(1 << 14);
  private size = 0;
  private sorted = true;

  add(oid: string): void {
    if (this.size === this.keys.length) {
      const grown = new BigUint64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys[this.size++] = keyOf(oid);
    this.sorted = false;
  }

  /** Adds an id given as its 20 raw bytes. */
  addBytes(oid: Uint8Array): void {
    if (this.size === this.keys.length) {
      const grown = new BigUint64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys[this.size++] = new DataView(oid.buffer, oid.byteOffset, 8).getBigUint64(0);
    this.sorted = false;
  }

  get count(): number {
    return this.size;
  }

  has(oid: string): boolean {
    if (!this.sorted) {
      this.keys = this.keys.slice(0, this.size).sort();
      this.sorted = true;
    }
    const key = keyOf(oid);
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid]!;
      if (k === key) return true;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

function keyOf(oid: string): bigint {
  return BigInt("0x" + oid.slice(0, 16));
}
