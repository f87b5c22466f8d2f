// Live memory of readPack, measured in Node for `npm run bench:git-pack` (run with --expose-gc): the same parse
// as the Worker's, with a forced GC every 500 objects, sampling heapUsed + ArrayBuffers right after it, so the
// figure is what readPack keeps alive (workerd's RSS also counts garbage V8 has not collected yet).
// Usage: node --expose-gc live-memory.mjs <pack file> <cacheBytes> <windowBytes>

import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { readPack } from "../../workers/git/pack-reader";

const [file, cache, windowBytes] = process.argv.slice(2);
const gc = (globalThis as unknown as { gc: () => void }).gc;
const live = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const base = live();
let peak = 0;
const stream = Readable.toWeb(
  createReadStream(file!, { highWaterMark: 64 * 1024 }),
) as unknown as ReadableStream<Uint8Array>;
const fh = await open(file!, "r");
const spill = {
  async read(offset: number, length: number) {
    const out = new Uint8Array(length);
    await fh.read(out, 0, length, offset);
    return out;
  },
};
const reader = readPack(stream, { cacheBytes: Number(cache), windowBytes: Number(windowBytes), spill });
let n = 0;
for await (const o of reader.objects()) {
  if (++n % 500 === 0 || o.data.length > 1 << 20) peak = Math.max(peak, live() - base);
}
peak = Math.max(peak, live() - base);
await fh.close();
console.log(
  JSON.stringify({
    objects: n,
    checksum: reader.checksum,
    peakLiveMiB: +(peak / 1024 / 1024).toFixed(1),
    stats: reader.stats,
  }),
);
