// fetchPack: one upload-pack request (wants, haves, depth, filter) answered with a whole (never thin) pack.

import { concat, isOid } from "./bytes";
import { gitStrong, remoteError } from "./errors";
import { endpoint, gitRequest, type TransportOptions } from "./http";
import { DELIM, FLUSH, PktReader, pkt, pktText } from "./pkt-line";
import { discover, type Discovery } from "./refs";
import { demux } from "./sideband";
import { latin1 } from "./bytes";

export interface FetchPackOptions extends TransportOptions {
  wants: string[];
  haves?: string[];
  /** Shallow fetch: this many commits from each want. */
  depth?: number;
  /** Partial clone filter, e.g. "blob:none" or "blob:limit=1m" (the server must allow filters). */
  filter?: string;
}

/** The bytes of the pack the remote sends for `wants`, side-band removed. Errors, also mid-stream, are GitErrors. */
export async function fetchPack(url: string, opts: FetchPackOptions): Promise<ReadableStream<Uint8Array>> {
  const wants = [...new Set(opts.wants)];
  if (wants.length === 0) throw gitStrong("no_wants", "fetchPack: the want list is empty");
  for (const oid of [...wants, ...(opts.haves ?? [])])
    if (!isOid(oid))
      throw gitStrong("bad_oid", `fetchPack: not an object id: ${JSON.stringify(String(oid).slice(0, 60))}`);
  if (opts.depth !== undefined && !(Number.isInteger(opts.depth) && opts.depth > 0))
    throw gitStrong("bad_depth", "fetchPack: depth must be a positive integer");
  if (opts.filter !== undefined && !/^[\x21-\x7e]+$/.test(opts.filter))
    throw gitStrong("bad_filter", "fetchPack: bad filter spec");

  const d = await discover(url, "git-upload-pack", opts);
  const body = d.protocol === 2 ? v2Request(d, wants, opts) : v0Request(d, wants, opts);
  const headers: Record<string, string> = {
    "Content-Type": "application/x-git-upload-pack-request",
    Accept: "application/x-git-upload-pack-result",
  };
  if (d.protocol === 2) headers["Git-Protocol"] = "version=2";
  const { res } = await gitRequest(endpoint(d.base, "/git-upload-pack"), { method: "POST", headers, body }, opts);
  const pkts = new PktReader(res.body!.getReader(), "upload-pack");
  try {
    return await packStart(pkts);
  } catch (err) {
    await pkts.cancel();
    throw err;
  }
}

function v2Request(d: Discovery, wants: string[], opts: FetchPackOptions): Uint8Array {
  const fetchCap = d.capabilities.find((c) => c === "fetch" || c.startsWith("fetch="));
  if (!fetchCap) throw gitStrong("protocol", "v2 server does not offer fetch");
  const features = fetchCap.includes("=") ? fetchCap.slice(6).split(" ") : [];
  if (opts.filter !== undefined && !features.includes("filter"))
    throw gitStrong("unsupported", "the server does not allow filters");
  if (opts.depth !== undefined && !features.includes("shallow"))
    throw gitStrong("unsupported", "the server does not allow shallow fetches");
  const lines = [pkt("command=fetch\n")];
  if (d.capabilities.some((c) => c.startsWith("object-format="))) lines.push(pkt("object-format=sha1\n"));
  lines.push(DELIM, pkt("ofs-delta\n"), pkt("no-progress\n"));
  for (const w of wants) lines.push(pkt(`want ${w}\n`));
  for (const h of opts.haves ?? []) lines.push(pkt(`have ${h}\n`));
  if (opts.depth !== undefined) lines.push(pkt(`deepen ${opts.depth}\n`));
  if (opts.filter !== undefined) lines.push(pkt(`filter ${opts.filter}\n`));
  lines.push(pkt("done\n"), FLUSH);
  return concat(lines);
}

function v0Request(d: Discovery, wants: string[], opts: FetchPackOptions): Uint8Array {
  const has = (c: string) => d.capabilities.includes(c);
  if (opts.filter !== undefined && !has("filter")) throw gitStrong("unsupported", "the server does not allow filters");
  if (opts.depth !== undefined && !has("shallow"))
    throw gitStrong("unsupported", "the server does not allow shallow fetches");
  const caps = ["ofs-delta", "no-progress", "agent=git/forgeline"];
  if (has("side-band-64k")) caps.unshift("side-band-64k");
  else if (has("side-band")) caps.unshift("side-band");
  if (opts.depth !== undefined) caps.push("shallow");
  if (opts.filter !== undefined) caps.push("filter");
  const lines = wants.map((w, i) => pkt(i === 0 ? `want ${w} ${caps.join(" ")}\n` : `want ${w}\n`));
  if (opts.depth !== undefined) lines.push(pkt(`deepen ${opts.depth}\n`));
  if (opts.filter !== undefined) lines.push(pkt(`filter ${opts.filter}\n`));
  lines.push(FLUSH);
  for (const h of opts.haves ?? []) lines.push(pkt(`have ${h}\n`));
  lines.push(pkt("done\n"));
  return concat(lines);
}

/** Skips the negotiation lines (ACK/NAK, shallow info, v2 section headers) up to the pack itself. */
async function packStart(pkts: PktReader): Promise<ReadableStream<Uint8Array>> {
  for (;;) {
    const head = await pkts.peek(4);
    if (head.length === 4 && latin1.decode(head) === "PACK") return pkts.rest(); // v0 without side-band
    const p = await pkts.read();
    if (p === null) throw gitStrong("protocol", "upload-pack: the response ended before any pack");
    if (p === "flush" || p === "delim") continue;
    if (p === "end") throw gitStrong("protocol", "upload-pack: the response ended before any pack");
    if (p.length > 0 && p[0]! <= 3) {
      if (p[0] === 3) throw remoteError(latin1.decode(p.subarray(1)), "weak");
      return withFirst(p, demux(pkts, "upload-pack"));
    }
    const line = pktText(p);
    if (line.startsWith("ERR ")) throw remoteError(line.slice(4), "strong");
    if (/^(ACK|NAK|shallow|unshallow|acknowledgments|shallow-info|wanted-refs|packfile|ready)\b/.test(line)) continue;
    if (/^[0-9a-f]{40} /.test(line)) continue; // wanted-refs entries
    throw gitStrong("protocol", `upload-pack: unexpected line ${JSON.stringify(line.slice(0, 100))}`);
  }
}

/** The demuxed stream, starting with the side-band packet already read. */
function withFirst(first: Uint8Array, rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = rest.getReader();
  let pending: Uint8Array | null = first;
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      while (pending) {
        const p: Uint8Array = pending;
        pending = null;
        if (p[0] === 1 && p.length > 1) return controller.enqueue(p.subarray(1));
      }
      try {
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (err) {
        controller.error(err);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
