// Ref discovery over smart HTTP: the info/refs advertisement (v0, or v2 capabilities) and v2 ls-refs.

import { ZERO_OID, isOid } from "./bytes";
import { gitStrong, remoteError } from "./errors";
import { checkRemote, endpoint, gitRequest, policyOf, type TransportOptions } from "./http";
import { DELIM, FLUSH, PktReader, pkt, pktText } from "./pkt-line";
import { concat } from "./bytes";

export type GitService = "git-upload-pack" | "git-receive-pack";

export interface RemoteRef {
  name: string;
  oid: string;
  /** For an annotated tag: the object it finally points to. */
  peeled?: string;
  /** For a symbolic ref (HEAD): the ref it points to, e.g. refs/heads/main. */
  symref?: string;
}

export interface RefListing {
  refs: RemoteRef[];
  capabilities: string[];
  protocol: 0 | 2;
}

export interface ListRefsOptions extends TransportOptions {
  service?: GitService;
  /** Only refs starting with one of these (sent to v2 servers, applied locally for v0). */
  prefixes?: string[];
}

/** What discovery learned: the repo's base URL (after redirects), the protocol, capabilities and (v0) refs. */
export interface Discovery {
  base: URL;
  protocol: 0 | 2;
  capabilities: string[];
  refs: RemoteRef[];
}

/** GET info/refs for `service`, asking for protocol v2 (upload-pack only; git has no v2 receive-pack). */
export async function discover(url: string, service: GitService, opts: TransportOptions): Promise<Discovery> {
  const base = checkRemote(url, policyOf(opts));
  const target = endpoint(base, "/info/refs");
  target.search = `?service=${service}`;
  const headers: Record<string, string> = { Accept: "*/*" };
  if (service === "git-upload-pack" && opts.protocol !== 0) headers["Git-Protocol"] = "version=2";
  const { res, url: final } = await gitRequest(target, { method: "GET", headers }, opts);
  const finalBase = new URL(final.href);
  finalBase.search = "";
  finalBase.pathname = finalBase.pathname.replace(/\/info\/refs$/, "");
  const type = res.headers.get("Content-Type") ?? "";
  if (type !== `application/x-${service}-advertisement`) {
    await res.body?.cancel();
    if (/text\/html/.test(type))
      throw gitStrong("not_smart_http", `${url}: the server answered a web page, not git smart HTTP`);
    throw gitStrong(
      "dumb_http",
      `${url}: not a smart-HTTP git server (answered ${type || "no content type"}; dumb HTTP is not supported)`,
    );
  }
  const pkts = new PktReader(res.body!.getReader(), `${service} advertisement`);
  try {
    let first = await pkts.read();
    if (first instanceof Uint8Array && pktText(first).startsWith("# service=")) {
      if ((await pkts.read()) !== "flush")
        throw gitStrong("protocol", "advertisement: expected a flush after the service line");
      first = await pkts.read();
    }
    if (first instanceof Uint8Array && pktText(first) === "version 2")
      return { base: finalBase, protocol: 2, capabilities: await readV2Caps(pkts), refs: [] };
    return { base: finalBase, protocol: 0, ...(await readV0(pkts, first)) };
  } finally {
    await pkts.cancel();
  }
}

async function readV2Caps(pkts: PktReader): Promise<string[]> {
  const caps: string[] = [];
  for (;;) {
    const p = await pkts.read();
    if (p === "flush" || p === null) return caps;
    if (!(p instanceof Uint8Array)) throw gitStrong("protocol", "v2 capabilities: unexpected special packet");
    caps.push(pktText(p));
  }
}

async function readV0(
  pkts: PktReader,
  first: Awaited<ReturnType<PktReader["read"]>>,
): Promise<{ capabilities: string[]; refs: RemoteRef[] }> {
  const refs: RemoteRef[] = [];
  let capabilities: string[] = [];
  const byName = new Map<string, RemoteRef>();
  for (let p = first, i = 0; p !== "flush"; p = await pkts.read(), i++) {
    if (p === null) throw gitStrong("protocol", "advertisement ended without a flush");
    if (!(p instanceof Uint8Array)) throw gitStrong("protocol", "advertisement: unexpected special packet");
    let line = pktText(p);
    if (line.startsWith("ERR ")) throw remoteError(line.slice(4), "strong");
    if (i === 0) {
      const nul = line.indexOf("\0");
      if (nul >= 0) {
        capabilities = line
          .slice(nul + 1)
          .split(" ")
          .filter(Boolean);
        line = line.slice(0, nul);
      }
    }
    const sp = line.indexOf(" ");
    const oid = line.slice(0, sp);
    const name = line.slice(sp + 1);
    if (sp !== 40 || !isOid(oid))
      throw gitStrong("protocol", `advertisement: bad ref line ${JSON.stringify(line.slice(0, 100))}`);
    if (name === "capabilities^{}" && oid === ZERO_OID) continue; // an empty repository
    if (name.endsWith("^{}")) {
      const target = byName.get(name.slice(0, -3));
      if (target) target.peeled = oid;
      continue;
    }
    const ref: RemoteRef = { name, oid };
    refs.push(ref);
    byName.set(name, ref);
  }
  for (const cap of capabilities) {
    if (!cap.startsWith("symref=")) continue;
    const [from, to] = cap.slice(7).split(":");
    const ref = from ? byName.get(from) : undefined;
    if (ref && to) ref.symref = to;
  }
  return { capabilities, refs };
}

/** v2 ls-refs on a discovered upload-pack endpoint. */
async function lsRefs(d: Discovery, prefixes: string[] | undefined, opts: TransportOptions): Promise<RemoteRef[]> {
  const lines = [pkt("command=ls-refs\n")];
  if (d.capabilities.some((c) => c.startsWith("object-format="))) lines.push(pkt("object-format=sha1\n"));
  lines.push(DELIM, pkt("peel\n"), pkt("symrefs\n"));
  for (const p of prefixes ?? []) lines.push(pkt(`ref-prefix ${p}\n`));
  lines.push(FLUSH);
  const { res } = await gitRequest(
    endpoint(d.base, "/git-upload-pack"),
    {
      method: "POST",
      headers: {
        "Content-Type": "application/x-git-upload-pack-request",
        Accept: "application/x-git-upload-pack-result",
        "Git-Protocol": "version=2",
      },
      body: concat(lines),
    },
    opts,
  );
  const pkts = new PktReader(res.body!.getReader(), "ls-refs");
  const refs: RemoteRef[] = [];
  try {
    for (;;) {
      const p = await pkts.read();
      if (p === "flush") return refs;
      if (p === null) throw gitStrong("protocol", "ls-refs: response ended without a flush");
      if (!(p instanceof Uint8Array)) throw gitStrong("protocol", "ls-refs: unexpected special packet");
      const line = pktText(p);
      if (line.startsWith("ERR ")) throw remoteError(line.slice(4), "strong");
      const [oid, name, ...attrs] = line.split(" ");
      if (!oid || !name || !(isOid(oid) || oid === "unborn"))
        throw gitStrong("protocol", `ls-refs: bad line ${JSON.stringify(line.slice(0, 100))}`);
      if (oid === "unborn") continue;
      const ref: RemoteRef = { name, oid };
      for (const a of attrs) {
        if (a.startsWith("symref-target:")) ref.symref = a.slice(14);
        else if (a.startsWith("peeled:")) ref.peeled = a.slice(7);
      }
      refs.push(ref);
    }
  } finally {
    await pkts.cancel();
  }
}

/** The remote's refs (with HEAD's target and peeled tags) and its capabilities, over v2 when offered. */
export async function listRefs(url: string, opts: ListRefsOptions = {}): Promise<RefListing> {
  const d = await discover(url, opts.service ?? "git-upload-pack", opts);
  if (d.protocol === 2) {
    if (!d.capabilities.some((c) => c === "ls-refs" || c.startsWith("ls-refs=")))
      throw gitStrong("protocol", "v2 server does not offer ls-refs");
    return { refs: await lsRefs(d, opts.prefixes, opts), capabilities: d.capabilities, protocol: 2 };
  }
  const prefixes = opts.prefixes;
  const refs = prefixes?.length ? d.refs.filter((r) => prefixes.some((p) => r.name.startsWith(p))) : d.refs;
  return { refs, capabilities: d.capabilities, protocol: 0 };
}
