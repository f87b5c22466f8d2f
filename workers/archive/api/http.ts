// Request pieces shared by the read API's routes: SWH-style errors, ids, Link headers.

import type { Context } from "hono";
import { AppError, badRequest, notFound } from "../../core/errors";
import { isHexId } from "../model";

/** SWH's exception names for our statuses, so SWH clients see the errors they know. */
const EXCEPTION: Record<number, string> = {
  400: "BadInputExc",
  401: "UnauthorizedExc",
  403: "ForbiddenExc",
  404: "NotFoundExc",
  413: "LargePayloadExc",
};

/** `{ exception, reason }` as SWH answers, plus Forgeline's `{ error: { code, message } }`. */
export function errorResponse(c: Context, err: AppError): Response {
  return c.json(
    {
      exception: EXCEPTION[err.status] ?? "InternalErrorExc",
      reason: err.message,
      error: { code: err.code, message: err.message },
    },
    err.status,
  );
}

/** A 40-hex object id in a path; anything else is a 400 that says what was expected. */
export function hexIdOf(value: string | undefined, what: string): string {
  if (!value || !isHexId(value))
    throw badRequest(
      `invalid ${what} id "${(value ?? "").slice(0, 80)}": expected 40 lowercase hex digits`,
      "invalid_id",
    );
  return value;
}

/** Sets SWH's `Link: <url>; rel="next"` header for the following page. */
export function linkNext(c: Context, url: string | null): void {
  if (url) c.header("Link", `<${url}>; rel="next"`);
}

export function withQuery(base: string, params: Record<string, string | number>): string {
  return `${base}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString()}`;
}

export function missing(message: string): AppError {
  return notFound(message);
}

/** The raw (still percent-encoded) path of the request. */
export function rawPath(c: Context): string {
  return new URL(c.req.url).pathname;
}

/** Percent-decodes a path segment to bytes (names in git are bytes, not always UTF-8). */
export function segmentBytes(segment: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] === "%" && /^[0-9a-fA-F]{2}$/.test(segment.slice(i + 1, i + 3))) {
      out.push(parseInt(segment.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...encoder.encode(segment[i]!));
  }
  return new Uint8Array(out);
}
