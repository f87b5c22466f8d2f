// Side-band-64k demultiplexing: band 1 is pack data, band 2 progress (dropped), band 3 a fatal remote error.

import { gitStrong, gitWeak, remoteError } from "./errors";
import { type PktReader, pktText } from "./pkt-line";
import { decoder } from "./bytes";

/**
 * The pack bytes carried on band 1, ending at the flush packet. An end of stream before the flush
 * is a weak error (the connection was cut); band 3 is the remote's own failure.
 */
export function demux(pkts: PktReader, what: string): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      for (;;) {
        const p = await pkts.read();
        if (p === "flush" || p === "end") {
          controller.close();
          return;
        }
        if (p === null) throw gitWeak("stream_cut", `${what}: stream ended before the pack did`);
        if (p === "delim") throw gitStrong("protocol", `${what}: unexpected delimiter in side-band data`);
        if (p.length === 0) continue;
        const band = p[0];
        if (band === 1) {
          if (p.length > 1) {
            controller.enqueue(p.subarray(1));
            return;
          }
          continue;
        }
        if (band === 2) continue;
        if (band === 3) throw remoteError(decoder.decode(p.subarray(1)), "weak");
        throw gitStrong("protocol", `${what}: unexpected packet ${JSON.stringify(pktText(p).slice(0, 60))}`);
      }
    },
    cancel: (reason) => pkts.cancel(reason),
  });
}
