// pkt-line framing (git's wire format): encoding requests and reading responses from a byte stream.

import { concat, decoder, encoder, latin1 } from "./bytes";
import { GitError, gitStrong, gitWeak } from "./errors";

export const FLUSH = encoder.encode("0000");
export const DELIM = encoder.encode("0001");

/** One pkt-line carrying `payload` (a string gets no newline added). */
export function pkt(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  if (body.length > 65516) throw new Error("pkt-line payload too long");
  const out = new Uint8Array(body.length + 4);
  out.set(encoder.encode((body.length + 4).toString(16).padStart(4, "0")), 0);
  out.set(body, 4);
  return out;
}

export type Packet = Uint8Array | "flush" | "delim" | "end";

/**
 * Reads a response body as pkt-lines (and, after them, raw bytes). A network failure while reading,
 * or an end of stream inside a packet, is a weak GitError: the transfer was cut, the data was not bad.
 */
export class PktReader {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private eof = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly what: string,
  ) {}

  /** The next chunk of the stream, or null at its end. */
  private async chunk(): Promise<Uint8Array | null> {
    if (this.eof) return null;
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.reader.read();
    } catch (err) {
      if (err instanceof GitError) throw err;
      throw gitWeak(
        "stream_cut",
        `${this.what}: connection failed while reading: ${String((err as Error)?.message ?? err)}`,
      );
    }
    if (r.done) {
      this.eof = true;
      return null;
    }
    return r.value;
  }

  /** Makes `n` bytes available, joining chunks once (a 64 KiB packet may come in many small chunks). */
  private async ensure(n: number): Promise<boolean> {
    let have = this.buf.length - this.pos;
    if (have >= n) return true;
    const parts = [this.buf.subarray(this.pos)];
    let ok = true;
    while (have < n) {
      const c = await this.chunk();
      if (!c) {
        ok = false;
        break;
      }
      parts.push(c);
      have += c.length;
    }
    this.buf = parts.length === 2 && parts[0]!.length === 0 ? parts[1]! : concat(parts);
    this.pos = 0;
    return ok;
  }

  /** The next `n` raw bytes without consuming them, or fewer at the end of the stream. */
  async peek(n: number): Promise<Uint8Array> {
    await this.ensure(n);
    return this.buf.subarray(this.pos, this.pos + n);
  }

  /** The next packet, or null at a clean end of stream (between packets). */
  async read(): Promise<Packet | null> {
    if (!(await this.ensure(4))) {
      if (this.buf.length - this.pos === 0) return null;
      throw gitWeak("stream_cut", `${this.what}: stream ended inside a pkt-line header`);
    }
    const head = latin1.decode(this.buf.subarray(this.pos, this.pos + 4));
    if (!/^[0-9a-f]{4}$/i.test(head))
      throw gitStrong("protocol", `${this.what}: bad pkt-line header ${JSON.stringify(head)}`);
    const len = parseInt(head, 16);
    if (len < 4) {
      this.pos += 4;
      return len === 0 ? "flush" : len === 1 ? "delim" : len === 2 ? "end" : badLength(this.what, len);
    }
    if (!(await this.ensure(len))) throw gitWeak("stream_cut", `${this.what}: stream ended inside a pkt-line`);
    const payload = this.buf.subarray(this.pos + 4, this.pos + len);
    this.pos += len;
    return payload;
  }

  /** Everything after the packets read so far, as a byte stream (for a pack sent without side-band). */
  rest(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (this.pos < this.buf.length) {
          controller.enqueue(this.buf.subarray(this.pos));
          this.pos = this.buf.length;
          return;
        }
        const c = await this.chunk();
        if (c) controller.enqueue(c);
        else controller.close();
      },
      cancel: (reason) => this.reader.cancel(reason),
    });
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason).catch(() => {});
  }
}

function badLength(what: string, len: number): never {
  throw gitStrong("protocol", `${what}: bad pkt-line length ${len}`);
}

/** A packet as text without its trailing newline (UTF-8, as git writes ref names). */
export function pktText(p: Uint8Array): string {
  const s = decoder.decode(p);
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}
