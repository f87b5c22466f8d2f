// Unpacking a tarball from the other partition: every entry's path is checked (untar.ts), the repository's
// .git/ is found (at the root, or one directory down as a hand-made `tar czf dir` has it), its packs are
// staged in MIRROR_STAGING as they stream by, and its refs and loose objects are kept (they are small).

import { tarEntries, TarError, type TarEntryOut } from "./untar";
import { storePack } from "../git";
import { readAll } from "../core/bytes";

export interface ExtractedRepo {
  /** Staging keys of the repository's packs, with their sizes. */
  packs: { key: string; size: number }[];
  /** Loose objects: object id → zlib-compressed bytes as git stores them. */
  loose: Map<string, Uint8Array>;
  /** refs/heads/<name> → object id, from loose refs and packed-refs. */
  branches: Map<string, string>;
  entries: number;
}

const SMALL_MAX = 1024 * 1024;
const LOOSE_TOTAL_MAX = 32 * 1024 * 1024;

/** Where inside the repository's git directory a tar path lies, or null when it is outside it. */
export function gitPathOf(path: string): string | null {
  const parts = path.split("/");
  const at = parts.indexOf(".git");
  if (at < 0 || at > 1) return null;
  return parts.slice(at + 1).join("/");
}

export async function extractRepo(
  tar: ReadableStream<Uint8Array>,
  staging: R2Bucket,
  stagingPrefix: string,
): Promise<ExtractedRepo> {
  const out: ExtractedRepo = { packs: [], loose: new Map(), branches: new Map(), entries: 0 };
  const looseRefs = new Map<string, string>();
  let packedRefs = "";
  let looseBytes = 0;
  let gitRoot: string | null = null;
  for await (const entry of tarEntries(tar)) {
    out.entries++;
    const inGit = gitPathOf(entry.path);
    if (inGit === null || entry.type !== "file") continue;
    const root = entry.path.slice(0, entry.path.length - inGit.length);
    if (gitRoot === null) gitRoot = root;
    else if (gitRoot !== root) throw new TarError(`the tarball holds two repositories (${gitRoot} and ${root})`);
    if (/^objects\/pack\/pack-[0-9a-f]{40,64}\.pack$/.test(inGit)) {
      const key = `${stagingPrefix}/${out.packs.length}.pack`;
      const done = await storePack(staging, key, entry.body());
      if (done.size !== entry.size) throw new TarError(`${entry.path}: staged ${done.size} of ${entry.size} bytes`);
      out.packs.push({ key, size: done.size });
    } else if (/^objects\/[0-9a-f]{2}\/[0-9a-f]{38}$/.test(inGit)) {
      looseBytes += entry.size;
      if (looseBytes > LOOSE_TOTAL_MAX)
        throw new TarError(`loose objects pass ${LOOSE_TOTAL_MAX} bytes; pack the repository first (git gc)`);
      out.loose.set(inGit.slice(8, 10) + inGit.slice(11), await readAll(entry.body()));
    } else if (inGit === "packed-refs") {
      packedRefs = await small(entry);
    } else if (inGit.startsWith("refs/heads/")) {
      looseRefs.set(inGit.slice("refs/heads/".length), (await small(entry)).trim());
    }
  }
  if (gitRoot === null) throw new TarError("the tarball holds no .git/ directory");
  for (const line of packedRefs.split("\n")) {
    const m = /^([0-9a-f]{40}) refs\/heads\/(.+)$/.exec(line.trim());
    if (m) out.branches.set(m[2]!, m[1]!);
  }
  for (const [name, value] of looseRefs) if (/^[0-9a-f]{40}$/.test(value)) out.branches.set(name, value); // loose refs win
  return out;
}

async function small(entry: TarEntryOut): Promise<string> {
  if (entry.size > SMALL_MAX) throw new TarError(`${entry.path} is ${entry.size} bytes; refs are never that large`);
  return new TextDecoder().decode(await readAll(entry.body()));
}
