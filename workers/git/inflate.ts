// zlib inflate that reports where each stream ends: pack entries are zlib streams back to back, with only
// the inflated size known. pako's low-level inflate is driven directly (its Inflate class would restart on
// the bytes that follow a stream end, and DecompressionStream cannot say how many bytes a stream used).
// Native node:zlib inflateSync (with info.bytesWritten) was tried: 1.5x faster, but each call leaves ~48 KB
// of native zlib state that V8 does not count, so workerd's RSS grew past 1 GB on a 43 MB pack.

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
      const state = (this.strm as unknown as { state: { window: Uint8Array | null; wsize: number; wbits: number } })
        .state;
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
      if (s.avail_out === 0 && s.avail_in > 0)
        return { error: `inflates to more than the ${s.next_out} bytes declared` };
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

/** Inflates one whole zlib stream of known inflated size (re-reading a spilled entry). */
export function inflateWhole(inflater: Inflater, input: Uint8Array, size: number): Uint8Array | string {
  inflater.begin(size);
  const step = inflater.push(input, 0);
  if ("error" in step) return step.error;
  if (!step.done) return "zlib stream truncated";
  return inflater.output();
}
