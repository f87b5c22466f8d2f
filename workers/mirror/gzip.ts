// gzip both ways as TransformStreams over pako. The platform's CompressionStream and DecompressionStream
// hold on to memory in proportion to the bytes they pass (measured under workerd: +210 MiB RSS for 64 MiB,
// +360 MiB for 128 MiB; pako stays flat), which a 128 MB isolate cannot afford on repo-sized archives.

import { Deflate, Inflate } from "pako";

/** The stream is not gzip, is corrupted, or ends early. */
export class GzipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GzipError";
  }
}

export function gzipStream(level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): TransformStream<Uint8Array, Uint8Array> {
  const deflate = new Deflate({ gzip: true, level });
  let out: Uint8Array[] = [];
  deflate.onData = (chunk) => out.push(chunk as Uint8Array);
  const flush = (controller: TransformStreamDefaultController<Uint8Array>) => {
    for (const chunk of out) controller.enqueue(chunk);
    out = [];
  };
  return new TransformStream({
    transform(chunk, controller) {
      deflate.push(chunk, false);
      flush(controller);
    },
    flush(controller) {
      deflate.push(new Uint8Array(0), true);
      if (deflate.err) throw new Error(`gzip: ${deflate.msg}`);
      flush(controller);
    },
  });
}

/**
 * `limit` stops inflating as soon as the output passes it: one 64 KiB input chunk of a gzip bomb would otherwise
 * inflate to ~64 MB in a single push, before anything downstream could count it.
 */
export function gunzipStream(limit?: {
  bytes: number;
  error: (n: number) => Error;
}): TransformStream<Uint8Array, Uint8Array> {
  const inflate = new Inflate({ windowBits: 15 + 16 });
  let out: Uint8Array[] = [];
  let ended = false;
  let failure: string | null = null;
  let total = 0;
  inflate.onData = (chunk) => {
    total += (chunk as Uint8Array).byteLength;
    if (limit && total > limit.bytes) throw limit.error(total);
    out.push(chunk as Uint8Array);
  };
  // pako reports the end of the stream, or an error, here (its own onEnd, which this replaces, sets err/msg).
  inflate.onEnd = (status) => {
    ended = true;
    if (status !== 0) failure = (inflate as unknown as { strm?: { msg?: string } }).strm?.msg || `zlib error ${status}`;
  };
  const deliver = (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (failure) throw new GzipError(`the tarball is not valid gzip: ${failure}`);
    for (const chunk of out) controller.enqueue(chunk);
    out = [];
  };
  return new TransformStream({
    transform(chunk, controller) {
      if (ended) {
        if (chunk.some((b) => b !== 0))
          throw new GzipError("the tarball is not valid gzip: data after the end of the gzip stream");
        return;
      }
      inflate.push(chunk, false);
      deliver(controller);
    },
    flush(controller) {
      deliver(controller);
      if (!ended) throw new GzipError("the tarball is not valid gzip: it ends before the gzip stream does (truncated)");
    },
  });
}
