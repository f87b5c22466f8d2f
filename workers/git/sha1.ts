// SHA-1, incremental, from the runtime's node:crypto (nodejs_compat): native speed over a streamed pack.

import { createHash } from "node:crypto";
import { encoder, toHex } from "./bytes";

export interface Sha1 {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}

export function sha1(): Sha1 {
  const h = createHash("sha1");
  return {
    update: (bytes) => void h.update(bytes),
    digest: () => new Uint8Array(h.digest()),
  };
}

/** git's object header, `<type> <length>\0`. */
export function objectHeader(type: string, length: number): Uint8Array {
  return encoder.encode(`${type} ${length}\0`);
}

/**
 * The git object id of `<type> <len>\0<data>`: the one id function for every room (git objects, and the
 * archive's snapshot manifests, which Software Heritage hashes the same way under the type `snapshot`).
 */
export function objectId(type: string, data: Uint8Array): string {
  return toHex(createHash("sha1").update(objectHeader(type, data.length)).update(data).digest());
}
