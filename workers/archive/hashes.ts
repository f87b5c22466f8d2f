// Content checksums as Software Heritage keeps them (sha1, sha1_git, sha256, blake2s256); object ids are git's
// (git/sha1.ts objectId), hex is core's.
// SHA-1 and SHA-256 are the runtime's native ones (node:crypto under nodejs_compat: synchronous, incremental, so
// git's header is prepended without copying a content); BLAKE2s is our own (blake2s.ts).

import { createHash } from "node:crypto";
import { toHex } from "../core/bytes";
import { objectHeader, objectId } from "../git/sha1";
import { Blake2s, blake2s256 } from "./blake2s";
import type { ContentHashes, Hex } from "./model";

const encoder = new TextEncoder();

/** All four checksums and the length of a content. */
export async function contentHashes(data: Uint8Array): Promise<ContentHashes> {
  return {
    sha1: toHex(createHash("sha1").update(data).digest()),
    sha1_git: objectId("blob", data),
    sha256: toHex(createHash("sha256").update(data).digest()),
    blake2s256: toHex(blake2s256(data)),
    length: data.length,
  };
}

/**
 * Checksums of a content read in chunks (a content too large to hold, e.g. one to be skipped):
 * its length must be known up front, since sha1_git's header carries it.
 */
export class ContentHasher {
  private readonly s1 = createHash("sha1");
  private readonly git = createHash("sha1");
  private readonly s256 = createHash("sha256");
  private readonly b2 = new Blake2s();
  private seen = 0;

  constructor(private readonly length: number) {
    this.git.update(objectHeader("blob", length));
  }

  update(chunk: Uint8Array): this {
    this.seen += chunk.length;
    if (this.seen > this.length) throw new Error(`content is longer than its declared ${this.length} bytes`);
    this.s1.update(chunk);
    this.git.update(chunk);
    this.s256.update(chunk);
    this.b2.update(chunk);
    return this;
  }

  digest(): ContentHashes {
    if (this.seen !== this.length) throw new Error(`content has ${this.seen} bytes, ${this.length} declared`);
    return {
      sha1: toHex(this.s1.digest()),
      sha1_git: toHex(this.git.digest()),
      sha256: toHex(this.s256.digest()),
      blake2s256: toHex(this.b2.digest()),
      length: this.length,
    };
  }
}

/** SWH origin id: sha1 of the URL's UTF-8 bytes, no header. */
export function originId(url: string): Hex {
  return toHex(createHash("sha1").update(encoder.encode(url)).digest());
}
