// Size limits of request bodies, and the middleware (Hono's bodyLimit) that holds a request to one.

import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { tooLarge } from "./errors";

export const MIB = 1024 * 1024;
/** Largest webhook body accepted (GitHub caps its payloads at 25 MB). */
export const MAX_WEBHOOK_BYTES = 25 * MIB;
/** Largest JSON body on the admin API. */
export const MAX_API_BYTES = 1 * MIB;

/**
 * Refuses (413) a body over `max` bytes: at once by its Content-Length, else as soon as the streamed bytes pass
 * `max` (bodyLimit holds a streamed body, at most `max` bytes, for the handler to read).
 */
export function limitBody(max: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: max,
    onError: (c) => {
      const declared = c.req.header("Content-Length");
      throw tooLarge(
        declared
          ? `body of ${declared} bytes is over the limit of ${max} bytes`
          : `body is over the limit of ${max} bytes`,
      );
    },
  });
}
