// The last N bytes of a pack being read, kept in a ring: delta bases evicted from the object cache are
// usually re-read from here (a memcpy and an inflate) instead of a PackSpill round trip to R2.

export class PackWindow {
  private readonly ring: Uint8Array;
  /** Absolute pack offset just past the newest byte kept. */
  private end = 0;

  constructor(readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  /** Appends the next bytes of the pack (they start at absolute offset `this.end`). */
  append(bytes: Uint8Array): void {
    const n = this.size;
    if (n === 0) {
      this.end += bytes.length;
      return;
    }
    let src = bytes;
    if (src.length > n) src = src.subarray(src.length - n);
    const at = (this.end + (bytes.length - src.length)) % n;
    const first = Math.min(src.length, n - at);
    this.ring.set(src.subarray(0, first), at);
    if (first < src.length) this.ring.set(src.subarray(first), 0);
    this.end += bytes.length;
  }

  /** A copy of [offset, offset+length) if it is still in the window, else undefined. */
  read(offset: number, length: number): Uint8Array | undefined {
    const n = this.size;
    if (offset < this.end - n || offset + length > this.end || length > n) return undefined;
    const out = new Uint8Array(length);
    const at = offset % n;
    const first = Math.min(length, n - at);
    out.set(this.ring.subarray(at, at + first), 0);
    if (first < length) out.set(this.ring.subarray(0, length - first), first);
    return out;
  }
}
