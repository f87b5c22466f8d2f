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

/** The git object id of `<type> <len>\0<data>`. */
export function objectId(type: string, data: Uint8Array): string {
  const h = createHash("sha1");
  h.update(encoder.encode(`${type} ${data.length}\0`));
  h.update(data);
  return toHex(new Uint8Array(h.digest()));
}
