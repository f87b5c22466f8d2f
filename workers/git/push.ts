// push: ref updates to receive-pack (report-status), the pack sent as a stream; a result for every ref.

import { ZERO_OID, concat, decoder, isOid } from "./bytes";
import { gitStrong, remoteError } from "./errors";
import { endpoint, gitRequest, type TransportOptions } from "./http";
import { writePack } from "./pack-writer";
import { FLUSH, PktReader, pkt, pktText } from "./pkt-line";
import { discover } from "./refs";
import { demux } from "./sideband";

export interface RefUpdate {
  ref: string;
  /** What the ref must be now (ZERO_OID: must not exist). Ignored with force. */
  old: string;
  /** What it becomes (ZERO_OID: delete it). */
  new: string;
}

export interface PushOptions extends TransportOptions {
  updates: RefUpdate[];
  /** The objects the remote needs (whole pack, never thin); an empty pack is sent when absent. */
  pack?: ReadableStream<Uint8Array> | Uint8Array;
  /** Update whatever the ref is now (otherwise a ref that moved since `old` is refused, not sent). */
  force?: boolean;
}

export interface PushRefResult {
  ref: string;
  ok: boolean;
  message?: string;
}

export interface PushResult {
  refs: PushRefResult[];
}

function checkUpdate(u: RefUpdate): void {
  if (
    !u ||
    typeof u.ref !== "string" ||
    !/^refs\/[^\x00-\x20~^:?*[\\\x7f]+$/.test(u.ref) ||
    /\.\.|\/\/|\/$|\.lock$|@\{/.test(u.ref)
  )
    throw gitStrong("bad_ref", `push: bad ref name ${JSON.stringify(String(u?.ref).slice(0, 100))}`);
  if (!isOid(u.old) || !isOid(u.new))
    throw gitStrong("bad_oid", `push: ${u.ref}: old and new must be 40-hex object ids`);
}

/**
 * Updates refs on the remote. Refused refs (stale old value, server `ng`) come back with ok: false;
 * a remote that cannot be reached, refuses the credentials, or fails to unpack is a GitError.
 */
export async function push(url: string, opts: PushOptions): Promise<PushResult> {
  if (!Array.isArray(opts.updates) || opts.updates.length === 0)
    throw gitStrong("no_updates", "push: no ref updates given");
  opts.updates.forEach(checkUpdate);
  if (new Set(opts.updates.map((u) => u.ref)).size !== opts.updates.length)
    throw gitStrong("bad_ref", "push: a ref is updated twice");

  const d = await discover(url, "git-receive-pack", opts);
  const current = new Map(d.refs.map((r) => [r.name, r.oid]));
  const results = new Map<string, PushRefResult>();
  const commands: { ref: string; old: string; new: string }[] = [];
  for (const u of opts.updates) {
    const now = current.get(u.ref) ?? ZERO_OID;
    const old = opts.force ? now : u.old;
    if (old !== now)
      results.set(u.ref, {
        ref: u.ref,
        ok: false,
        message: `stale: the remote has ${now === ZERO_OID ? "no such ref" : now}`,
      });
    else if (u.new === now) results.set(u.ref, { ref: u.ref, ok: true, message: "up to date" });
    else if (u.new === ZERO_OID && !d.capabilities.includes("delete-refs"))
      results.set(u.ref, { ref: u.ref, ok: false, message: "the remote does not allow deleting refs" });
    else commands.push({ ref: u.ref, old, new: u.new });
  }
  if (!d.capabilities.includes("report-status"))
    throw gitStrong("unsupported", "push: the remote does not offer report-status");
  if (commands.length === 0 || commands.every((c) => c.new === ZERO_OID))
    if (opts.pack instanceof ReadableStream) await opts.pack.cancel().catch(() => {}); // nothing will read it
  if (commands.length > 0) {
    const sideband = d.capabilities.includes("side-band-64k");
    const caps = ["report-status", ...(sideband ? ["side-band-64k"] : []), "agent=git/forgeline"];
    const head = concat([
      ...commands.map((c, i) => pkt(`${c.old} ${c.new} ${c.ref}${i === 0 ? `\0${caps.join(" ")}` : ""}\n`)),
      FLUSH,
    ]);
    const needsPack = commands.some((c) => c.new !== ZERO_OID);
    const pack = needsPack ? (opts.pack ?? writePack([])) : undefined;
    const { res } = await gitRequest(
      endpoint(d.base, "/git-receive-pack"),
      {
        method: "POST",
        headers: {
          "Content-Type": "application/x-git-receive-pack-request",
          Accept: "application/x-git-receive-pack-result",
        },
        body: requestBody(head, pack),
      },
      opts,
    );
    const outer = new PktReader(res.body!.getReader(), "receive-pack");
    const report = sideband ? new PktReader(demux(outer, "receive-pack").getReader(), "receive-pack report") : outer;
    try {
      for (const r of await readReport(report)) results.set(r.ref, r);
    } finally {
      await report.cancel();
    }
  }
  return {
    refs: opts.updates.map(
      (u) => results.get(u.ref) ?? { ref: u.ref, ok: false, message: "the remote did not report this ref" },
    ),
  };
}

function requestBody(head: Uint8Array, pack: ReadableStream<Uint8Array> | Uint8Array | undefined): BodyInit {
  if (!pack) return head;
  if (pack instanceof Uint8Array) return concat([head, pack]);
  const reader = pack.getReader();
  let sentHead = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentHead) {
        sentHead = true;
        return controller.enqueue(head);
      }
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

async function readReport(pkts: PktReader): Promise<PushRefResult[]> {
  const out: PushRefResult[] = [];
  let unpack: string | undefined;
  for (;;) {
    const p = await pkts.read();
    if (p === "flush" || p === null) break;
    if (!(p instanceof Uint8Array))
      throw gitStrong("protocol", "receive-pack: unexpected special packet in the report");
    const line = pktText(p);
    if (line.startsWith("ERR ")) throw remoteError(line.slice(4), "strong");
    if (line.startsWith("unpack ")) unpack = line.slice(7);
    else if (line.startsWith("ok ")) out.push({ ref: line.slice(3), ok: true });
    else if (line.startsWith("ng ")) {
      const rest = line.slice(3);
      const sp = rest.indexOf(" ");
      out.push({ ref: sp < 0 ? rest : rest.slice(0, sp), ok: false, message: sp < 0 ? "refused" : rest.slice(sp + 1) });
    } else
      throw gitStrong(
        "protocol",
        `receive-pack: unexpected report line ${JSON.stringify(decoder.decode(p).slice(0, 100))}`,
      );
  }
  if (unpack === undefined) throw gitStrong("protocol", "receive-pack: no unpack status in the report");
  if (unpack !== "ok") throw gitStrong("unpack_failed", `receive-pack could not unpack the pack: ${unpack}`);
  return out;
}
