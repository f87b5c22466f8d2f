// Size limits, and reading a request body without letting it grow past one.

import { concat } from "./bytes";
import { tooLarge } from "./errors";

export const MIB = 1024 * 1024;
/** Largest webhook body accepted (GitHub caps its payloads at 25 MB). */
export const MAX_WEBHOOK_BYTES = 25 * MIB;
/** Largest JSON body on the admin API. */
export const MAX_API_BYTES = 1 * MIB;

/** Reads the whole body, refusing (413) as soon as it passes `max` bytes, whatever Content-Length claims. */
export async function readBounded(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("Content-Length") ?? "");
  if (Number.isFinite(declared) && declared > max)
    throw tooLarge(`body of ${declared} bytes is over the limit of ${max} bytes`);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(`body is over the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  return concat(chunks);
}
