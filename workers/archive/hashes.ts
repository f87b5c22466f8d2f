// Content checksums as Software Heritage keeps them (sha1, sha1_git, sha256, blake2s256), and git-style object ids.
// sha1, sha1_git and sha256 use the platform's native digests (sha1_git through a DigestStream, so no content is
// copied to prepend git's header); blake2s256 our own BLAKE2s; small manifests and chunked streams @noble/hashes.

import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Blake2s, blake2s256 } from "./blake2s";
import type { ContentHashes, Hex } from "./model";

const encoder = new TextEncoder();

export function toHex(bytes: Uint8Array | ArrayBuffer): Hex {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX[view[i]!];
  return out;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not hex: ${hex.slice(0, 50)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** git's object header, `<type> <length>\0`. */
export function objectHeader(type: string, length: number): Uint8Array {
  return encoder.encode(`${type} ${length}\0`);
}

/** The id of `body` hashed as a git-style object of `type` (blob, tree, commit, tag, snapshot). */
export function gitObjectId(type: string, body: Uint8Array): Hex {
  return toHex(sha1.create().update(objectHeader(type, body.length)).update(body).digest());
}

/** All four checksums and the length of a content. */
export async function contentHashes(data: Uint8Array): Promise<ContentHashes> {
  const [s1, git, s256] = await Promise.all([
    crypto.subtle.digest("SHA-1", data),
    nativeObjectId("blob", data),
    crypto.subtle.digest("SHA-256", data),
  ]);
  return { sha1: toHex(s1), sha1_git: git, sha256: toHex(s256), blake2s256: toHex(blake2s256(data)), length: data.length };
}

/** Below this size, prepending git's header by copying is cheaper than a DigestStream (~60 µs a call). */
const COPY_BELOW = 8 * 1024 * 1024;

/** gitObjectId through the runtime's native SHA-1, for contents (any size; a large one is not copied). */
async function nativeObjectId(type: string, body: Uint8Array): Promise<Hex> {
  const header = objectHeader(type, body.length);
  if (body.length < COPY_BELOW) {
    const whole = new Uint8Array(header.length + body.length);
    whole.set(header);
    whole.set(body, header.length);
    return toHex(await crypto.subtle.digest("SHA-1", whole));
  }
  const stream = new crypto.DigestStream("SHA-1");
  const writer = stream.getWriter();
  await writer.write(header);
  await writer.write(body);
  await writer.close();
  return toHex(await stream.digest);
}

/**
 * Checksums of a content read in chunks (a content too large to hold, e.g. one to be skipped):
 * its length must be known up front, since sha1_git's header carries it.
 */
export class ContentHasher {
  private readonly s1 = sha1.create();
  private readonly git = sha1.create();
  private readonly s256 = sha256.create();
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
  return toHex(sha1(encoder.encode(url)));
}
