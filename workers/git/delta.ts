// Git delta application (OFS_DELTA / REF_DELTA payloads): copy-from-base and insert instructions.

export class DeltaError extends Error {}

function varint(d: Uint8Array, at: { i: number }): number {
  let n = 0;
  let shift = 0;
  for (;;) {
    if (at.i >= d.length) throw new DeltaError("delta header truncated");
    const b = d[at.i++]!;
    n += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return n;
  }
}

/** The size of the object a delta produces, read from its header. */
export function deltaResultSize(delta: Uint8Array): number {
  const at = { i: 0 };
  varint(delta, at);
  return varint(delta, at);
}

export function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  const at = { i: 0 };
  const baseSize = varint(delta, at);
  if (baseSize !== base.length)
    throw new DeltaError(`delta expects a base of ${baseSize} bytes, base has ${base.length}`);
  const size = varint(delta, at);
  const out = new Uint8Array(size);
  let o = 0;
  let i = at.i;
  const n = delta.length;
  while (i < n) {
    const op = delta[i++]!;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      if (op & 0x01) off |= delta[i++]!;
      if (op & 0x02) off |= delta[i++]! << 8;
      if (op & 0x04) off |= delta[i++]! << 16;
      if (op & 0x08) off = (off | (delta[i++]! << 24)) >>> 0;
      if (op & 0x10) len |= delta[i++]!;
      if (op & 0x20) len |= delta[i++]! << 8;
      if (op & 0x40) len |= delta[i++]! << 16;
      if (len === 0) len = 0x10000;
      if (i > n || off + len > base.length || o + len > size) throw new DeltaError("delta copy out of range");
      out.set(base.subarray(off, off + len), o);
      o += len;
    } else if (op !== 0) {
      if (i + op > n || o + op > size) throw new DeltaError("delta insert out of range");
      out.set(delta.subarray(i, i + op), o);
      i += op;
      o += op;
    } else throw new DeltaError("delta opcode 0 is reserved");
  }
  if (o !== size) throw new DeltaError(`delta produced ${o} bytes, ${size} declared`);
  return out;
}
