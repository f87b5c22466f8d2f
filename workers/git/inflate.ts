// zlib inflate that reports where each stream ends: pack entries are zlib streams back to back, with only
// the inflated size known. pako's low-level inflate is driven directly (its Inflate class would restart on
// the bytes that follow a stream end, and DecompressionStream cannot say how many bytes a stream used).

import { inflateSync } from "node:zlib";
import ZStream from "pako/lib/zlib/zstream.js";
import { inflate, inflateInit, inflateReset } from "pako/lib/zlib/inflate.js";

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_BUF_ERROR = -5;
const Z_NO_FLUSH = 0;

export type InflateStep = { done: true; used: number } | { done: false; used: number } | { error: string };

/** One inflater reused for every entry of a pack (its state is reset, not reallocated). */
export class Inflater {
  private readonly strm = new ZStream();
  private started = false;

  constructor() {
    if (inflateInit(this.strm) !== Z_OK) throw new Error("zlib: inflateInit failed");
  }

  /** Starts a stream whose inflated form is exactly `size` bytes. */
  begin(size: number): void {
    if (this.started) {
      inflateReset(this.strm);
      // pako's inflateReset zeroes the window size but keeps the window, and its updatewindow only sizes
      // a window it allocates: without this, a stream fed in several calls loses its back-references.
      const state = (this.strm as unknown as { state: { window: Uint8Array | null; wsize: number; wbits: number } }).state;
      if (state.window) state.wsize = 1 << state.wbits;
    }
    this.started = true;
    this.strm.output = new Uint8Array(size);
    this.strm.next_out = 0;
    this.strm.avail_out = size;
  }

  /**
   * Feeds `input[from..]`; says how many bytes were used and whether the stream ended. A stream that
   * inflates to more than the declared size, or is not zlib, is an error.
   */
  push(input: Uint8Array, from: number): InflateStep {
    const s = this.strm;
    s.input = input;
    s.next_in = from;
    s.avail_in = input.length - from;
    const status = inflate(s, Z_NO_FLUSH);
    const used = s.next_in - from;
    s.input = null;
    if (status === Z_STREAM_END) {
      if (s.avail_out !== 0) return { error: `inflated to ${s.next_out} bytes, ${s.next_out + s.avail_out} declared` };
      return { done: true, used };
    }
    if (status === Z_OK || status === Z_BUF_ERROR) {
      if (s.avail_out === 0 && s.avail_in > 0) return { error: `inflates to more than the ${s.next_out} bytes declared` };
      return { done: false, used };
    }
    return { error: `zlib: ${s.msg || `status ${status}`}` };
  }

  /** The inflated bytes of the stream that just ended. */
  output(): Uint8Array {
    const out = this.strm.output!;
    this.strm.output = null;
    return out;
  }
}

/**
 * The fast path: native zlib (workerd's node:zlib) on a buffer holding the whole stream, which reports how many
 * input bytes the stream used. Undefined when the stream does not end inside `input` or is bad: the caller
 * then streams it through Inflater, which also gives the precise error.
 */
export function inflateNative(input: Uint8Array, size: number): { data: Uint8Array; used: number } | undefined {
  if (input.length === 0) return undefined;
  try {
    const { buffer, engine } = inflateSync(input, { info: true, maxOutputLength: Math.max(size, 1) });
    if (buffer.length !== size) return undefined;
    // A plain Uint8Array view: Buffer's slice() shares memory and Buffer is not equal to Uint8Array in tests.
    return { data: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length), used: engine.bytesWritten };
  } catch {
    return undefined;
  }
}

/** Inflates one whole zlib stream of known inflated size (re-reading a spilled entry). */
export function inflateWhole(inflater: Inflater, input: Uint8Array, size: number): Uint8Array | string {
  const fast = inflateNative(input, size);
  if (fast) return fast.data;
  inflater.begin(size);
  const step = inflater.push(input, 0);
  if ("error" in step) return step.error;
  if (!step.done) return "zlib stream truncated";
  return inflater.output();
}
