// Small stream plumbing the mirror's pipeline needs: error relabelling, byte limits, fixed-size chunking.

/**
 * Passes chunks through; an error from `source` is replaced by what `relabel` makes of it (not the one a
 * cancel from downstream causes: that is no fault of the source).
 */
export function relabelErrors(
  source: ReadableStream<Uint8Array>,
  relabel: (err: unknown) => unknown,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let step: ReadableStreamReadResult<Uint8Array>;
        try {
          step = await reader.read();
        } catch (err) {
          throw cancelled ? err : relabel(err);
        }
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      cancel: (reason) => {
        cancelled = true;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Errors the stream with `tooBig()` as soon as more than `max` bytes have passed. */
export function limitBytes(max: number, tooBig: (seen: number) => Error): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) throw tooBig(seen);
      controller.enqueue(chunk);
    },
  });
}

/** Calls `beat` (awaited) each time another `every` bytes have passed: a long transfer proves it is alive. */
export function beatEvery(
  every: number,
  beat: (bytes: number) => Promise<void>,
): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  let next = every;
  return new TransformStream({
    async transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen >= next) {
        next = seen + every;
        await beat(seen);
      }
      controller.enqueue(chunk);
    },
  });
}

/** Counts the bytes that pass. */
export function byteCounter(): { stream: TransformStream<Uint8Array, Uint8Array>; bytes: () => number } {
  let seen = 0;
  return {
    stream: new TransformStream({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
    bytes: () => seen,
  };
}

/** Yields the stream's bytes in pieces of exactly `size` (the last may be shorter), copying only what it must. */
export async function* fixedPieces(source: ReadableStream<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const reader = source.getReader();
  let piece = new Uint8Array(size);
  let used = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      while (chunk.byteLength) {
        const n = Math.min(size - used, chunk.byteLength);
        piece.set(chunk.subarray(0, n), used);
        used += n;
        chunk = chunk.subarray(n);
        if (used === size) {
          yield piece;
          piece = new Uint8Array(size);
          used = 0;
        }
      }
    }
    if (used) yield piece.subarray(0, used);
  } finally {
    reader.releaseLock();
  }
}

/** A stream of the given byte arrays, one after another. */
export function streamOf(...parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.close();
    },
  });
}
