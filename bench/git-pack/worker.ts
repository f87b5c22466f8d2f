// The bench Worker for `npm run bench:git-pack`: parses the pack at ?pack=<url> with readPack and says what it saw.
// With ?spill=1, evicted delta bases are re-read with HTTP range requests (as r2Spill does against R2).

import { readPack, type PackSpill } from "../../workers/git/pack-reader";

export default {
  async fetch(req: Request): Promise<Response> {
    const u = new URL(req.url);
    const src = u.searchParams.get("pack");
    if (!src) return new Response("?pack=<url> required", { status: 400 });
    const cacheBytes = Number(u.searchParams.get("cache") ?? 16 * 1024 * 1024);
    const windowBytes = Number(u.searchParams.get("window") ?? 32 * 1024 * 1024);
    let spillReads = 0;
    const spill: PackSpill | undefined = u.searchParams.get("spill")
      ? {
          async read(offset, length) {
            spillReads++;
            const r = await fetch(src, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
            return new Uint8Array(await r.arrayBuffer());
          },
        }
      : undefined;
    const res = await fetch(src);
    const reader = readPack(res.body!, { cacheBytes, windowBytes, spill });
    let count = 0;
    let bytes = 0;
    const types: Record<string, number> = {};
    for await (const o of reader.objects()) {
      count++;
      bytes += o.data.length;
      types[o.type] = (types[o.type] ?? 0) + 1;
    }
    return Response.json({ count, bytes, types, checksum: reader.checksum, spillReads });
  },
};
