// The tarball the producer uploads: a git repository at exactly one commit (.git/ with HEAD, config, the
// branch ref and one pack with its index), as a tar → gzip → age stream.

import { tarStream, type TarEntryIn } from "./tar";
import { encryptStream } from "./age";
import { gzipStream } from "./gzip";
import type { StagedPack } from "./staged-pack";

export interface RepoSnapshot {
  branch: string;
  commit: string;
  pack: StagedPack;
  /** The pack's bytes, read again from staging when the tar reaches them. */
  openPack: () => Promise<ReadableStream<Uint8Array>>;
  mtime: number;
}

const CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n";

export function snapshotEntries(s: RepoSnapshot): TarEntryIn[] {
  const text = (t: string) => new TextEncoder().encode(t);
  const mtime = Math.floor(s.mtime / 1000);
  const dirs = [
    ".git",
    ".git/objects",
    ".git/objects/info",
    ".git/objects/pack",
    ".git/refs",
    ".git/refs/heads",
    ".git/refs/tags",
  ];
  const parts = s.branch.split("/");
  for (let i = 1; i < parts.length; i++) dirs.push(`.git/refs/heads/${parts.slice(0, i).join("/")}`);
  const packName = `.git/objects/pack/pack-${s.pack.checksum}`;
  return [
    ...dirs.map((path): TarEntryIn => ({ path, type: "directory", mtime })),
    { path: ".git/HEAD", type: "file", mtime, body: text(`ref: refs/heads/${s.branch}\n`) },
    { path: ".git/config", type: "file", mtime, body: text(CONFIG) },
    { path: ".git/description", type: "file", mtime, body: text("Unnamed repository; mirrored by Forgeline.\n") },
    { path: `.git/refs/heads/${s.branch}`, type: "file", mtime, body: text(`${s.commit}\n`) },
    { path: `${packName}.idx`, type: "file", mtime, mode: 0o444, body: s.pack.index },
    { path: `${packName}.pack`, type: "file", mtime, mode: 0o444, size: s.pack.size, body: s.openPack },
  ];
}

/** The encrypted object: tar of the snapshot, gzip, age to every recipient. Streams; nothing is held whole. */
export async function sealedSnapshot(s: RepoSnapshot, recipients: string[]): Promise<ReadableStream<Uint8Array>> {
  const gz = tarStream(snapshotEntries(s)).pipeThrough(gzipStream());
  return encryptStream(gz, recipients);
}
