// A pack as a byte source: buffered reads from a stream, the running SHA-1 of the pack and the CRC-32 of
// the current entry, and the absolute offset of every byte consumed.

import { crc32 } from "./bytes";
import { GitError, gitStrong, gitWeak } from "./errors";
import type { PackWindow } from "./pack-window";
import { sha1 } from "./sha1";

export class PackSource {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  /** Absolute pack offset of buf[pos]. */
  offset = 0;
  /** CRC-32 of the bytes consumed since the last resetCrc(). */
  crc = 0;
  private hashedFrom = 0;
  private readonly sha = sha1();
  private eof = false;
  private digested = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly window?: PackWindow,
    start = 0,
  ) {
    this.offset = start;
  }

  available(): number {
    return this.buf.length - this.pos;
  }

  /** Appends the next chunk; false at the end of the stream. Source failures keep their GitError, else weak. */
  async more(): Promise<boolean> {
    if (this.eof) return false;
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.reader.read();
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw gitWeak("stream_cut", `pack stream failed: ${String((err as Error)?.message ?? err)}`);
    }
    if (r.done) {
      this.eof = true;
      return false;
    }
    this.window?.append(r.value);
    if (!this.digested) this.sha.update(this.buf.subarray(this.hashedFrom, this.pos));
    const rest = this.available();
    if (rest === 0) this.buf = r.value;
    else {
      const next = new Uint8Array(rest + r.value.length);
      next.set(this.buf.subarray(this.pos), 0);
      next.set(r.value, rest);
      this.buf = next;
    }
    this.pos = 0;
    this.hashedFrom = 0;
    return true;
  }

  /** Makes `n` bytes available or fails: a pack that ends early is bad data. */
  async need(n: number, what: string): Promise<void> {
    while (this.available() < n) if (!(await this.more())) throw truncated(what);
  }

  async byte(what: string): Promise<number> {
    if (this.pos >= this.buf.length) await this.need(1, what);
    const b = this.buf[this.pos]!;
    this.consume(1);
    return b;
  }

  consume(n: number): void {
    this.crc = crc32(this.crc, this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    this.offset += n;
  }

  resetCrc(): void {
    this.crc = 0;
  }

  /** The SHA-1 of everything consumed so far (call once, before reading the trailer). */
  digest(): Uint8Array {
    this.sha.update(this.buf.subarray(this.hashedFrom, this.pos));
    this.hashedFrom = this.pos;
    this.digested = true;
    return this.sha.digest();
  }

  /** Takes `n` bytes outside the hash (the trailer). */
  async takeRaw(n: number, what: string): Promise<Uint8Array> {
    await this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    this.hashedFrom = this.pos;
    return out;
  }

  /** True when bytes follow (junk after the trailer). */
  async hasMore(): Promise<boolean> {
    return this.available() > 0 || (await this.more());
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason).catch(() => {});
  }
}

export function truncated(what: string): GitError {
  return gitStrong("truncated_pack", `pack truncated: ${what}`);
}
